package io.github.dl4jtorch.dropout.kernel;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The kernel's two ways to reach array data ({@link DropoutKernel.Access}), open to the tests of other packages
 * so that they can run one call through both, whichever the process would choose.
 */
public enum KernelPath {
    /** Host pointers, as on the CPU backend. */
    HOST(DropoutKernel.Access.HOST),
    /** ND4J ops alone, as on every other backend. */
    ND4J_OPS(DropoutKernel.Access.ND4J_OPS);

    private final DropoutKernel.Access access;

    KernelPath(DropoutKernel.Access access) {
        this.access = access;
    }

    /** {@link DropoutKernel#forward(INDArray, INDArray, double, boolean, int[], long)} through this path. */
    public INDArray forward(INDArray x, INDArray out, double p, boolean alpha, int[] maskAxes, long key) {
        return DropoutKernel.forward(x, out, p, alpha, maskAxes, key, access);
    }

    /** {@link DropoutKernel#backward(INDArray, INDArray, double, boolean, int[], long)} through this path. */
    public INDArray backward(INDArray gradOut, INDArray gradIn, double p, boolean alpha, int[] maskAxes, long key) {
        return DropoutKernel.backward(gradOut, gradIn, p, alpha, maskAxes, key, access);
    }
}
