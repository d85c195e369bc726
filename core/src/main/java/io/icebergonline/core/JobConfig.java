package io.icebergonline.core;

import java.io.Serializable;
import java.util.List;
import java.util.Optional;

/**
 * The whole job YAML: the online store, the Kafka input, the dead-letter topic, the views,
 * maintenance, and the feature services the feature server answers (the job only validates them).
 */
public record JobConfig(
    OnlineStoreConfig onlineStore,
    KafkaConfig kafka,
    String deadLetterTopic,
    List<FeatureViewSpec> featureViews,
    MaintenanceConfig maintenance,
    List<FeatureServiceSpec> featureServices)
    implements Serializable {

  public JobConfig {
    featureViews = List.copyOf(featureViews);
    featureServices = List.copyOf(featureServices);
  }

  public Optional<FeatureViewSpec> featureView(String name) {
    return featureViews.stream().filter(view -> view.name().equals(name)).findFirst();
  }
}
