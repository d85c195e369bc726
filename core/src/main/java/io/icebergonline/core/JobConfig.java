package io.icebergonline.core;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole job YAML: the online store, the Kafka input, the dead-letter topic, the views,
 * maintenance, and the feature services and push sources the feature server answers (the job only
 * validates them).
 *
 * @param pushSources Feast push source name to the feature views a push to it writes
 */
public record JobConfig(
    OnlineStoreConfig onlineStore,
    KafkaConfig kafka,
    String deadLetterTopic,
    List<FeatureViewSpec> featureViews,
    MaintenanceConfig maintenance,
    List<FeatureServiceSpec> featureServices,
    Map<String, List<String>> pushSources)
    implements Serializable {

  public JobConfig {
    featureViews = List.copyOf(featureViews);
    featureServices = List.copyOf(featureServices);
    pushSources = Map.copyOf(pushSources);
  }

  public Optional<FeatureViewSpec> featureView(String name) {
    return featureViews.stream().filter(view -> view.name().equals(name)).findFirst();
  }
}
