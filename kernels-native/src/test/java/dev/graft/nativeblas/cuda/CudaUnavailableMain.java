package dev.graft.nativeblas.cuda;

import dev.graft.tensor.Device;
import dev.graft.tensor.Devices;
import dev.graft.tensor.Tensor;

/** Run in a child JVM by CudaDeviceRuntimeTest: tries to put a tensor on cuda:0 and prints what happened and the device report. */
public final class CudaUnavailableMain {
    private CudaUnavailableMain() {
    }

    public static void main(String[] args) {
        try {
            Tensor.ones(2, 2).to(Device.cuda(0));
            System.out.println("placed on cuda:0");
        } catch (IllegalStateException e) {
            System.out.println("IllegalStateException: " + e.getMessage());
        }
        System.out.println(Devices.report());
    }
}
