package io.github.dl4jtorch.dropout;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@code @ExtendWith(DoublePrecision.class)}: ND4J's default types are double for the test class (gradient checks
 * need it) and restored afterwards.
 */
final class DoublePrecision implements BeforeAllCallback, AfterAllCallback {

    private DataType savedDefault;
    private DataType savedDefaultFloating;

    @Override
    public void beforeAll(ExtensionContext context) {
        savedDefault = Nd4j.dataType();
        savedDefaultFloating = Nd4j.defaultFloatingPointType();
        Nd4j.setDefaultDataTypes(DataType.DOUBLE, DataType.DOUBLE);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        Nd4j.setDefaultDataTypes(savedDefault, savedDefaultFloating);
    }
}
