package io.icebergonline.job.pipeline;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.Logger;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Property;

/**
 * The messages one logger writes while the capture is open, DEBUG included (the mini-cluster's
 * tasks log in this JVM).
 */
final class LogCapture implements AutoCloseable {
  private final List<String> messages = new CopyOnWriteArrayList<>();
  private final Logger logger;
  private final AbstractAppender appender;
  private final Level previousLevel;

  LogCapture(Class<?> loggingClass) {
    logger = ((LoggerContext) LogManager.getContext(false)).getLogger(loggingClass.getName());
    appender = new AbstractAppender("capture-" + UUID.randomUUID(), null, null, true, Property.EMPTY_ARRAY) {
      @Override
      public void append(LogEvent event) {
        messages.add(event.getMessage().getFormattedMessage());
      }
    };
    appender.start();
    logger.addAppender(appender);
    previousLevel = logger.getLevel();
    logger.setLevel(Level.DEBUG);
  }

  List<String> messages() {
    return List.copyOf(messages);
  }

  @Override
  public void close() {
    logger.setLevel(previousLevel);
    logger.removeAppender(appender);
    appender.stop();
  }
}
