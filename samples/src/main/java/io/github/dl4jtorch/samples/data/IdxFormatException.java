package io.github.dl4jtorch.samples.data;

import java.io.IOException;

/**
 * An IDX file that cannot be used as it is: wrong magic number, a header that does not match the
 * data, truncated or corrupt compression. The message always starts with the file's name.
 */
public final class IdxFormatException extends IOException {

    private static final long serialVersionUID = 1L;

    /**
     * @param source  the file (or resource) that is malformed
     * @param problem what is wrong with it, in words a user can act on
     */
    public IdxFormatException(String source, String problem) {
        super(source + ": " + problem);
    }

    /**
     * @param source  the file (or resource) that is malformed
     * @param problem what is wrong with it
     * @param cause   the lower-level failure, e.g. a corrupt gzip stream
     */
    public IdxFormatException(String source, String problem, Throwable cause) {
        super(source + ": " + problem, cause);
    }
}
