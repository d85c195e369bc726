package io.icebergonline.reader;

import java.util.concurrent.atomic.AtomicLong;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;

/**
 * Counts the GET requests of every S3 client in the test JVM: registered as a global interceptor
 * of the AWS SDK through {@code software/amazon/awssdk/services/s3/execution.interceptors}.
 */
public final class CountingS3Requests implements ExecutionInterceptor {
  private static final AtomicLong GETS = new AtomicLong();

  static long gets() {
    return GETS.get();
  }

  @Override
  public void beforeTransmission(Context.BeforeTransmission context, ExecutionAttributes attributes) {
    if (context.request() instanceof GetObjectRequest) {
      GETS.incrementAndGet();
    }
  }
}
