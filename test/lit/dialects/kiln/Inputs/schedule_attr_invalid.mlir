// Records that must not be applied: another version, knobs out of range or
// inconsistent, unknown fields. Checked by ../schedule_attr.mlir.

// expected-error @+1 {{schedule record version 2 is not supported (this build reads version 1)}}
#a = #kiln.schedule<version = 2, mode = template, pattern = generic, vector_width = 4, channel_tile = 4, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = row, order = pixel_major>

// -----

// expected-error @+1 {{'vector_width' must be in [1, 1024], not 0}}
#a = #kiln.schedule<version = 1, mode = template, pattern = generic, vector_width = 0, channel_tile = 4, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = row, order = pixel_major>

// -----

// expected-error @+1 {{channel_tile 12 is not a multiple of vector_width 8}}
#a = #kiln.schedule<version = 1, mode = template, pattern = conv, vector_width = 8, channel_tile = 12, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = tile, order = pixel_major>

// -----

// expected-error @+1 {{'stage_tiles' is for the block pattern only}}
#a = #kiln.schedule<version = 1, mode = template, pattern = conv, vector_width = 8, channel_tile = 8, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = tile, order = pixel_major, stage_tiles = [8, 8, 1]>

// -----

// expected-error @+1 {{struct is missing required parameter: order}}
#a = #kiln.schedule<version = 1, mode = template, pattern = conv, vector_width = 8, channel_tile = 8, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = tile>

// -----

// expected-error @+1 {{duplicate or unknown struct parameter name: colour}}
#a = #kiln.schedule<version = 1, colour = red>

// -----

// expected-error @+2 {{expected ::kiln::ScheduleMode to be one of: template, adams2019, li2018, mullapudi2016}}
// expected-error @+1 {{failed to parse Kiln_ScheduleAttr parameter 'mode'}}
#a = #kiln.schedule<version = 1, mode = magic, pattern = conv, vector_width = 8, channel_tile = 8, pixel_tile = 1, row_tile = 1, unroll = 1, parallel = [], compute_at = tile, order = pixel_major>
