package io.icebergonline.core;

import com.google.protobuf.AnyProto;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors;
import com.google.protobuf.DurationProto;
import com.google.protobuf.EmptyProto;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.StructProto;
import com.google.protobuf.TimestampProto;
import com.google.protobuf.WrappersProto;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Protobuf message types: from a serialized {@code FileDescriptorSet} (what {@code protoc
 * --descriptor_set_out --include_imports} writes), or from a schema registry (a serialized file
 * and the files its references name); either way files are built in dependency order and the
 * well-known types ({@code google/protobuf/timestamp.proto}, {@code wrappers.proto}, ...) come from
 * protobuf-java when not given. Also the message indexes of the registry's wire format (after the
 * magic byte and schema id: a zigzag varint count, then each index as one, the list {@code [0]}
 * as the single count 0), which name a message in its file by position: top level, then nested.
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

  /**
   * The file of a Protobuf schema from {@code registry} (serialized), with the files it imports
   * through its references; an {@link IllegalArgumentException} saying what is missing or invalid.
   */
  public static Descriptors.FileDescriptor registered(SchemaRegistryClient registry,
      SchemaRegistryClient.RegisteredSchema schema) {
    Map<String, FileDescriptorProto> protos = new HashMap<>();
    FileDescriptorProto file = collect(registry, schema, protos);
    Map<String, Descriptors.FileDescriptor> built = new HashMap<>();
    WELL_KNOWN.forEach(known -> built.put(known.getName(), known));
    return build(file.getName(), protos, built);
  }

  private static FileDescriptorProto collect(SchemaRegistryClient registry, SchemaRegistryClient.RegisteredSchema schema,
      Map<String, FileDescriptorProto> protos) {
    FileDescriptorProto file;
    try {
      file = FileDescriptorProto.parseFrom(Base64.getDecoder().decode(schema.schema()));
    } catch (IllegalArgumentException | InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("schema id " + schema.id() + " is not a serialized Protobuf file");
    }
    protos.put(file.getName(), file);
    for (SchemaRegistryClient.Reference reference : schema.references()) {
      if (!protos.containsKey(reference.name())) {
        SchemaRegistryClient.RegisteredSchema imported = registry.protobufSchema(reference).orElseThrow(() ->
            new IllegalArgumentException("the registry has no version " + reference.version() + " of subject "
                + reference.subject() + ", which " + file.getName() + " imports as " + reference.name()));
        FileDescriptorProto importedFile = collect(registry, imported, protos);
        protos.put(reference.name(), importedFile.toBuilder().setName(reference.name()).build());
      }
    }
    return file;
  }

  /** The message at {@code indexes} in {@code file} (top-level position, then nested ones), or null. */
  public static Descriptors.Descriptor messageAt(Descriptors.FileDescriptor file, int[] indexes) {
    List<Descriptors.Descriptor> types = file.getMessageTypes();
    Descriptors.Descriptor message = null;
    for (int index : indexes) {
      if (index < 0 || index >= types.size()) {
        return null;
      }
      message = types.get(index);
      types = message.getNestedTypes();
    }
    return message;
  }

  /** The message indexes framing {@code message} in the registry's wire format. */
  public static byte[] indexes(Descriptors.Descriptor message) {
    List<Integer> path = new ArrayList<>();
    for (Descriptors.Descriptor at = message; at != null; at = at.getContainingType()) {
      path.add(0, at.getContainingType() == null ? at.getFile().getMessageTypes().indexOf(at)
          : at.getContainingType().getNestedTypes().indexOf(at));
    }
    if (path.equals(List.of(0))) {
      return new byte[] {0};
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    CodedOutputStream out = CodedOutputStream.newInstance(bytes);
    try {
      out.writeSInt32NoTag(path.size());
      for (int index : path) {
        out.writeSInt32NoTag(index);
      }
      out.flush();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** The message indexes at {@code in}'s position; an {@link IOException} when they are not there. */
  public static int[] readIndexes(CodedInputStream in) throws IOException {
    int count = in.readSInt32();
    if (count == 0) {
      return new int[] {0};
    }
    if (count < 0 || count > 100) {
      throw new IOException("message index count " + count + " is out of range");
    }
    int[] indexes = new int[count];
    for (int i = 0; i < count; i++) {
      indexes[i] = in.readSInt32();
    }
    return indexes;
  }

  private static Descriptors.FileDescriptor build(String name, Map<String, FileDescriptorProto> protos,
      Map<String, Descriptors.FileDescriptor> built) {
    Descriptors.FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = protos.get(name);
    if (proto == null) {
      throw new IllegalArgumentException("the descriptors lack " + name
          + " (write a descriptor set with protoc --include_imports; register an import as a reference)");
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
