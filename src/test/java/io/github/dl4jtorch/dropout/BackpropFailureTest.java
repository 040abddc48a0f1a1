package io.github.dl4jtorch.dropout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.deeplearning4j.nn.api.Layer;
import org.deeplearning4j.nn.conf.NeuralNetConfiguration;
import org.deeplearning4j.nn.workspace.LayerWorkspaceMgr;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The runtime layer's backprop fails clearly, naming the layer and modifying nothing, where it cannot use its forward
 * pass's mask (today's code returned a gradient of the wrong shape, or the identity with no forward pass at all); a
 * second backprop after one forward pass gives the same gradient.
 */
class BackpropFailureTest {

    private static Layer layer() {
        Dropout conf = new Dropout.Builder().p(0.5).name("drop").build();
        NeuralNetConfiguration nnc = new NeuralNetConfiguration.Builder().layer(conf).build();
        return conf.instantiate(nnc, java.util.List.of(), 2, null, true, DataType.FLOAT);
    }

    private static INDArray forward(Layer layer) {
        layer.setInput(Nd4j.rand(DataType.FLOAT, 3, 6), LayerWorkspaceMgr.noWorkspaces());
        return layer.activate(true, LayerWorkspaceMgr.noWorkspaces());
    }

    @Test
    void epsilonOfAnotherShapeOrTypeFailsAndIsNotModified() {
        Layer layer = layer();
        forward(layer);
        INDArray wrongShape = Nd4j.ones(DataType.FLOAT, 5, 6);
        IllegalArgumentException shape = assertThrows(IllegalArgumentException.class,
                () -> layer.backpropGradient(wrongShape, LayerWorkspaceMgr.noWorkspaces()));
        assertEquals("Dropout layer \"drop\" (layer 2): epsilon of shape [5, 6] does not match the forward pass's input "
                + "of shape [3, 6]", shape.getMessage());
        assertEquals(Nd4j.ones(DataType.FLOAT, 5, 6), wrongShape);
        IllegalArgumentException type = assertThrows(IllegalArgumentException.class,
                () -> layer.backpropGradient(Nd4j.ones(DataType.DOUBLE, 3, 6), LayerWorkspaceMgr.noWorkspaces()));
        assertTrue(type.getMessage().endsWith("epsilon of type DOUBLE does not match the forward pass's input of type "
                + "FLOAT"), type.getMessage());
    }

    @Test
    void backpropWithoutForwardFails() {
        Layer fresh = layer();
        fresh.setInput(Nd4j.rand(DataType.FLOAT, 3, 6), LayerWorkspaceMgr.noWorkspaces());
        IllegalStateException never = assertThrows(IllegalStateException.class,
                () -> fresh.backpropGradient(Nd4j.ones(DataType.FLOAT, 3, 6), LayerWorkspaceMgr.noWorkspaces()));
        assertTrue(never.getMessage().contains("without a forward pass"), never.getMessage());
        Layer cleared = layer();
        forward(cleared);
        cleared.clear();
        cleared.setInput(Nd4j.rand(DataType.FLOAT, 3, 6), LayerWorkspaceMgr.noWorkspaces());
        assertThrows(IllegalStateException.class,
                () -> cleared.backpropGradient(Nd4j.ones(DataType.FLOAT, 3, 6), LayerWorkspaceMgr.noWorkspaces()));
    }

    @Test
    void secondBackpropAfterOneForwardGivesTheSameGradient() {
        Layer layer = layer();
        INDArray y = forward(layer);
        INDArray epsilon = Nd4j.rand(DataType.FLOAT, 3, 6);
        INDArray first = layer.backpropGradient(epsilon, LayerWorkspaceMgr.noWorkspaces()).getSecond().dup();
        INDArray second = layer.backpropGradient(epsilon, LayerWorkspaceMgr.noWorkspaces()).getSecond();
        assertEquals(first, second);
        assertEquals(y.neq(0), first.neq(0), "the forward pass's mask");
    }
}
