package io.icebergonline.core;

import java.io.Serializable;
import java.util.List;

/**
 * A Feast feature service: a name for a fixed list of features of the views, so a client asks for
 * {@code "feature_service": "<name>"} instead of listing them. Its features are resolved at start
 * (a whole view stands for all its features, in declared order), in the order Feast's {@code
 * utils._get_features} lists a service's features: per listed view, its features.
 */
public record FeatureServiceSpec(String name, List<Ref> features) implements Serializable {

  public FeatureServiceSpec {
    features = List.copyOf(features);
  }

  /** One feature of one view, Feast's {@code view:feature} reference. */
  public record Ref(String view, String feature) implements Serializable {
    @Override
    public String toString() {
      return view + ":" + feature;
    }
  }
}
