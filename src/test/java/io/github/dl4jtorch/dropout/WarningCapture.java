package io.github.dl4jtorch.dropout;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.stream.Collectors;
import org.slf4j.LoggerFactory;

/**
 * Captures the WARN messages {@link Functional} logs while open (PyTorch's UserWarnings):
 * {@code try (WarningCapture w = new WarningCapture()) { ...; assertEquals(List.of(msg), w.messages()); }}.
 */
final class WarningCapture implements AutoCloseable {

    private final Logger logger = (Logger) LoggerFactory.getLogger(Functional.class);
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    WarningCapture() {
        appender.start();
        logger.addAppender(appender);
    }

    /** The WARN messages logged since this capture was opened, in order. */
    List<String> messages() {
        return appender.list.stream()
                .filter(e -> e.getLevel() == Level.WARN)
                .map(ILoggingEvent::getFormattedMessage)
                .collect(Collectors.toList());
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
