package dev.graft.nativeblas.cuda;

import dev.graft.tensor.Device;

/** Run in a child JVM with -Dgraft.sim.devices=1 by CudaDeviceRuntimeTest: the device checks on the simulated device sim:0. */
public final class SimulatedDeviceChecksMain {
    private SimulatedDeviceChecksMain() {
    }

    public static void main(String[] args) {
        boolean ok = DeviceChecks.run(System.out, new Device("sim", 0));
        System.exit(ok ? 0 : 1);
    }
}
