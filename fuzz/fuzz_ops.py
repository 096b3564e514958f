"""The fuzz drivers' operation tables, read from fuzz/<driver>_ops.h (format:
fuzz/fuzz_ops.h), so that the seed generators hold no second copy of the op codes.

    import fuzz_ops
    OP = fuzz_ops.load('heap')       # fuzz/heap_ops.h
    OP.ALLOC_CLASS                   # 0: the code
    OP.op(OP.ALLOC_TINY, b'\\x05')   # op byte + arguments, checked against the row's
                                     # argument bytes (a ValueError if they differ)
"""
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
ROW = re.compile(r'X\(\s*(\d+)\s*,\s*(\w+)\s*,\s*(\w+)\s*,\s*(-?\d+)\s*,\s*"([^"]*)"\s*\)')


class Table:
    def __init__(self, driver, rows):
        self.driver = driver
        self.rows = rows  # [(code, NAME, name, arg_bytes, layout)] in code order
        for code, NAME, _, _, _ in rows:
            setattr(self, NAME, code)
        self.count = len(rows)

    def arg_bytes(self, code):
        return self.rows[code][3]

    def name(self, code):
        return self.rows[code][2]

    def op(self, code, args=b'', byte=None):
        """The op byte (code, or `byte` when the driver reads more from it, e.g.
        heap_fuzz's cache bits) followed by args; args must be the op's whole argument
        bytes unless the row says -1 (variable)."""
        want = self.arg_bytes(code)
        if want >= 0 and len(args) != want:
            raise ValueError('%s op %s: %d argument bytes, fuzz/%s_ops.h says %d'
                             % (self.driver, self.name(code), len(args), self.driver, want))
        return bytes([code if byte is None else byte]) + bytes(args)


def load(driver):
    """Table of fuzz/<driver>_ops.h; checks codes are 0, 1, 2, ... in row order."""
    path = os.path.join(HERE, driver + '_ops.h')
    with open(path) as f:
        text = f.read()
    rows = [(int(c), N, n, int(a), lay) for c, N, n, a, lay in ROW.findall(text)]
    if not rows or [r[0] for r in rows] != list(range(len(rows))):
        raise ValueError('%s: op codes are not 0, 1, 2, ... in row order' % path)
    return Table(driver, rows)
