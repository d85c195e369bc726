package io.icebergonline.core;

import com.google.protobuf.AnyProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DurationProto;
import com.google.protobuf.EmptyProto;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.StructProto;
import com.google.protobuf.TimestampProto;
import com.google.protobuf.WrappersProto;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A message type from a serialized {@code FileDescriptorSet} (what {@code protoc
 * --descriptor_set_out --include_imports} writes): its files are built in dependency order; the
 * well-known types ({@code google/protobuf/timestamp.proto}, {@code wrappers.proto}, ...) come from
 * protobuf-java when the set does not carry them.
 */
public final class ProtobufDescriptors {
  private static final List<Descriptors.FileDescriptor> WELL_KNOWN = List.of(TimestampProto.getDescriptor(),
      WrappersProto.getDescriptor(), DurationProto.getDescriptor(), StructProto.getDescriptor(),
      AnyProto.getDescriptor(), EmptyProto.getDescriptor());

  private ProtobufDescriptors() {}

  /** The message type {@code name} of the set; an {@link IllegalArgumentException} saying why not. */
  public static Descriptors.Descriptor message(String base64Set, String name) {
    FileDescriptorSet set;
    try {
      set = FileDescriptorSet.parseFrom(Base64.getDecoder().decode(base64Set));
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("not a serialized FileDescriptorSet: " + e.getMessage());
    }
    Map<String, FileDescriptorProto> protos = new HashMap<>();
    set.getFileList().forEach(file -> protos.put(file.getName(), file));
    Map<String, Descriptors.FileDescriptor> built = new HashMap<>();
    WELL_KNOWN.forEach(file -> built.put(file.getName(), file));
    for (FileDescriptorProto file : set.getFileList()) {
      Descriptors.FileDescriptor descriptor = build(file.getName(), protos, built);
      Descriptors.Descriptor message = descriptor.getPackage().isEmpty() ? descriptor.findMessageTypeByName(name)
          : name.startsWith(descriptor.getPackage() + ".")
              ? descriptor.findMessageTypeByName(name.substring(descriptor.getPackage().length() + 1)) : null;
      if (message != null) {
        return message;
      }
    }
    throw new IllegalArgumentException("the descriptor set has no message " + name + " (its files: "
        + protos.keySet() + ")");
  }

  private static Descriptors.FileDescriptor build(String name, Map<String, FileDescriptorProto> protos,
      Map<String, Descriptors.FileDescriptor> built) {
    Descriptors.FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = protos.get(name);
    if (proto == null) {
      throw new IllegalArgumentException("the descriptor set lacks " + name
          + " (write it with protoc --include_imports)");
    }
    Descriptors.FileDescriptor[] dependencies = proto.getDependencyList().stream()
        .map(dependency -> build(dependency, protos, built)).toArray(Descriptors.FileDescriptor[]::new);
    try {
      Descriptors.FileDescriptor file = Descriptors.FileDescriptor.buildFrom(proto, dependencies);
      built.put(name, file);
      return file;
    } catch (Descriptors.DescriptorValidationException e) {
      throw new IllegalArgumentException(name + " is not a valid descriptor: " + e.getMessage());
    }
  }
}
