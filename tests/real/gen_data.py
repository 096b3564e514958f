"""gen_data.py OUT MIB — MIB mebibytes of deterministic data of mixed compressibility,
for the compressors of tests/real/compress.sh: 1 MiB blocks, each of one kind chosen by
a seeded generator (the same bytes every run): random bytes (incompressible), text
from a small vocabulary, numbered CSV-like records, long runs of one byte, and
near-copies of an earlier block (matches far back, which xz's dictionary finds)."""
import random
import sys

BLOCK = 1 << 20
WORDS = (
    "the of and to in is was for on that with as by at from his it an were are which this be "
    "or has had have not but first one their its after new who they two her she been other when "
    "there all during into school time may years more most only over city some world would where "
    "later up such used many can state about national out known university united then made"
).split()


def block(rng, kind, earlier):
    if kind == 0:
        return rng.randbytes(BLOCK)
    if kind == 1:
        words = rng.choices(WORDS, k=BLOCK // 4)
        return " ".join(words).encode()[:BLOCK].ljust(BLOCK, b".")
    if kind == 2:
        start = rng.randrange(1 << 30)
        rows = (f"{start + i},{(start * 31 + i * 7) % 100003},item{i % 977},{i * 0.25:.2f}\n" for i in range(40000))
        return "".join(rows).encode()[:BLOCK].ljust(BLOCK, b"\n")
    if kind == 3:
        return bytes([rng.randrange(256)]) * BLOCK
    src = bytearray(rng.choice(earlier)) if earlier else bytearray(rng.randbytes(BLOCK))
    for _ in range(64):  # sparse edits: mostly a long match
        src[rng.randrange(BLOCK)] = rng.randrange(256)
    return bytes(src)


def main():
    out, mib = sys.argv[1], int(sys.argv[2])
    rng = random.Random(20260101)
    earlier = []
    with open(out, "wb") as f:
        for _ in range(mib):
            kind = rng.choices(range(5), weights=(3, 3, 2, 1, 2))[0]
            b = block(rng, kind, earlier)
            if kind != 4 and len(earlier) < 8:
                earlier.append(b)
            f.write(b)


if __name__ == "__main__":
    main()
