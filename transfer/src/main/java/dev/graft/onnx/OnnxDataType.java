package dev.graft.onnx;

import dev.graft.tensor.DType;

/**
 * ONNX's {@code TensorProto.DataType} codes and the Graft dtype each one is held in.
 *
 * <p>Graft has fewer integer dtypes than ONNX: int8, int16 and uint16 are held as int32, uint32
 * and uint64 as int64 (uint64 values above 2^63 wrap), float16 and bfloat16 are widened to
 * float32 on load (Graft computes in float32), and the declared ONNX type is kept where it matters
 * (Cast targets, {@code .npy} output). String, complex and float8 tensors are refused with a message.
 */
public enum OnnxDataType {
    UNDEFINED(0, null, 0),
    FLOAT(1, DType.FLOAT32, 4),
    UINT8(2, DType.UINT8, 1),
    INT8(3, DType.INT32, 1),
    UINT16(4, DType.INT32, 2),
    INT16(5, DType.INT32, 2),
    INT32(6, DType.INT32, 4),
    INT64(7, DType.INT64, 8),
    STRING(8, null, 0),
    BOOL(9, DType.BOOL, 1),
    FLOAT16(10, DType.FLOAT32, 2),
    DOUBLE(11, DType.FLOAT64, 8),
    UINT32(12, DType.INT64, 4),
    UINT64(13, DType.INT64, 8),
    COMPLEX64(14, null, 8),
    COMPLEX128(15, null, 16),
    BFLOAT16(16, DType.FLOAT32, 2),
    FLOAT8E4M3FN(17, null, 1),
    FLOAT8E4M3FNUZ(18, null, 1),
    FLOAT8E5M2(19, null, 1),
    FLOAT8E5M2FNUZ(20, null, 1),
    UINT4(21, null, 0),
    INT4(22, null, 0);

    /** The code in the protobuf. */
    public final int code;
    /** The Graft dtype values of this type are held in, or null when Graft cannot hold it. */
    public final DType graft;
    /** Bytes per element in {@code raw_data}. */
    public final int size;

    OnnxDataType(int code, DType graft, int size) {
        this.code = code;
        this.graft = graft;
        this.size = size;
    }

    public static OnnxDataType of(long code) {
        for (OnnxDataType t : values()) {
            if (t.code == code) {
                return t;
            }
        }
        throw new OnnxException("unknown ONNX data type code " + code);
    }

    /** The Graft dtype, or an error naming {@code what} when this type cannot be held. */
    public DType graftOrThrow(String what) {
        if (graft == null) {
            throw new OnnxException(what + ": ONNX data type " + this + " is not supported by Graft"
                    + " (supported: float, double, float16, bfloat16, int8..int64, uint8..uint64, bool)");
        }
        return graft;
    }

    /** The ONNX type Graft naturally produces for a dtype (the inverse of {@link #graft} on its main type). */
    public static OnnxDataType fromGraft(DType d) {
        return switch (d) {
            case FLOAT32 -> FLOAT;
            case FLOAT64 -> DOUBLE;
            case INT64 -> INT64;
            case INT32 -> INT32;
            case UINT8 -> UINT8;
            case BOOL -> BOOL;
            case FLOAT16 -> FLOAT16;
            case BFLOAT16 -> BFLOAT16;
        };
    }
}
