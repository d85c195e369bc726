package io.icebergonline.core;

import java.io.Serializable;

/** A named, typed column of a feature view: an entity (join key) or a feature. */
public record FieldSpec(String name, FeastValueType type) implements Serializable {}
