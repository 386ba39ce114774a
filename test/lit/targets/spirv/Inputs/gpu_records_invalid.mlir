// GPU knobs that must not be applied. Checked by ../gpu_records.mlir.

// expected-error @+1 {{a workgroup of 256 invocations is more than the 128 every Vulkan device allows}}
#a = #kiln.schedule<version = 1, mode = template, pattern = conv, vector_width = 1, channel_tile = 1, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = tile, order = pixel_major, workgroup = [64, 4, 1], invocation_tile = [1, 1, 1]>

// -----

// expected-error @+1 {{'workgroup' and 'invocation_tile' go together}}
#a = #kiln.schedule<version = 1, mode = template, pattern = conv, vector_width = 1, channel_tile = 1, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = tile, order = pixel_major, workgroup = [64, 1, 1]>

// -----

// expected-error @+1 {{'workgroup' and 'invocation_tile' must be three numbers each in [1, 1024]}}
#a = #kiln.schedule<version = 1, mode = template, pattern = conv, vector_width = 1, channel_tile = 1, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = tile, order = pixel_major, workgroup = [64, 1], invocation_tile = [1, 1, 0]>
