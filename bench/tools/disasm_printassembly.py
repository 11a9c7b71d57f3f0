#!/usr/bin/env python3
"""Disassembles one method's machine code from -XX:+PrintAssembly output that has no hsdis.

Without a usable hsdis plugin (Debian's libhsdis0-fcml exports only the old decode_instructions
entry point, which JDK 25 does not call), HotSpot prints the code as hex words. This script takes
the [MachCode] block that follows a given line, rebuilds the bytes and runs objdump on them.

    java ... -XX:+UnlockDiagnosticVMOptions -XX:CompileCommand=print,dev.graft.tensor.backend.simd.SgemmKernels::packed8x2 ... > out.txt
    grep -n "Compiled method (c2)" out.txt          # pick the line of the C2 version
    python3 bench/tools/disasm_printassembly.py out.txt LINE > kernel.s

Needs objdump (binutils).
"""
import re
import subprocess
import sys
import tempfile


def main():
    lines = open(sys.argv[1]).read().split("\n")
    i = int(sys.argv[2]) - 1
    while i < len(lines) and "[MachCode]" not in lines[i]:
        i += 1
    i += 1
    buf = bytearray()
    base = None
    while i < len(lines):
        line = lines[i]
        if "[/MachCode]" in line or line.startswith("Compiled method"):
            break
        m = re.match(r"\s+0x([0-9a-f]+): ((?:[0-9a-f]{2,8} ?\|? ?)+)$", line)
        if m:
            addr = int(m.group(1), 16)
            if base is None:
                base = addr
            if addr - base == len(buf):  # comment lines repeat addresses; keep the byte stream contiguous
                buf += bytes.fromhex(m.group(2).replace("|", "").replace(" ", ""))
        i += 1
    if base is None:
        sys.exit("no [MachCode] hex after line " + sys.argv[2])
    with tempfile.NamedTemporaryFile(suffix=".bin") as f:
        f.write(buf)
        f.flush()
        out = subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64", "-Mintel", "--adjust-vma=0x%x" % base, f.name],
                             capture_output=True, text=True, check=True)
    print(out.stdout)


if __name__ == "__main__":
    main()
