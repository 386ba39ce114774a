#!/usr/bin/env python3
"""Decodes an 8-bit RGB/RGBA PNG (stdlib only: zlib and struct) and writes it
as a float32 NHWC tensor [1, S, S, 3], box-filtered to S x S and scaled to
[-1, 1], the input BlazeFace expects.

usage: png_to_tensor.py photo.png out.bin --size 128
"""
import argparse
import struct
import sys
import zlib


def decode_png(path):
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG file")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, color, _, _, interlace = header
    channels = {2: 3, 6: 4}.get(color)
    if depth != 8 or channels is None or interlace:
        sys.exit(f"{path}: only 8-bit RGB/RGBA non-interlaced PNGs are supported")
    raw = zlib.decompress(b"".join(idat))
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        rows.append(line)
        prev = line
    return width, height, channels, rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("png")
    parser.add_argument("out")
    parser.add_argument("--size", type=int, default=128)
    args = parser.parse_args()
    width, height, channels, rows = decode_png(args.png)
    size = args.size
    values = []
    for oy in range(size):
        y0, y1 = oy * height // size, max((oy + 1) * height // size, oy * height // size + 1)
        for ox in range(size):
            x0, x1 = ox * width // size, max((ox + 1) * width // size, ox * width // size + 1)
            for ch in range(3):
                total = sum(rows[y][x * channels + ch] for y in range(y0, y1) for x in range(x0, x1))
                mean = total / ((y1 - y0) * (x1 - x0))
                values.append(mean / 127.5 - 1.0)
    with open(args.out, "wb") as f:
        f.write(struct.pack(f"<{len(values)}f", *values))
    print(f"{args.png}: {width}x{height} -> [1, {size}, {size}, 3] float32 in [-1, 1]")


if __name__ == "__main__":
    main()
