/**
 * Transfer learning: model importers (ONNX, safetensors), tokenizers, model builders
 * (BERT-family, CNNs), freezing, feature extraction and caching, fine-tuning strategies, LoRA,
 * domain adaptation and transferability scores.
 *
 * <p>May depend on tensor, autograd and layers only: not on picocli or {@code dev.graft.cli}
 * (that is the command line built on top of this), and not on kernels-native, which is reached
 * only through the tensor Backend SPI at run time.
 */
package dev.graft.transfer;
