#!/usr/bin/env python3
"""Writes the hostile PDF of issue 17: PAGES pages of WORDS words each, every
page drawing the same Flate-compressed content stream, so the file stays
about 100 KB while its text is tens of millions of characters.
Usage: hostile_pdf.py OUT.pdf [PAGES=300] [WORDS=20000]   (Python standard library only)"""
import random
import sys
import zlib

out, pages, words = sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 300, \
    int(sys.argv[3]) if len(sys.argv) > 3 else 20000
rng = random.Random(17)
vocab = ["river", "stone", "granite", "valley", "forest", "ocean", "thunder", "meadow", "harbor", "lantern",
         "copper", "willow", "summit", "canyon", "glacier", "prairie", "orchard", "beacon", "cobalt", "saffron"]
per_line = 25
lines = []
for i in range(0, words, per_line):
    lines.append(" ".join(rng.choice(vocab) for _ in range(min(per_line, words - i))))
ops = ["BT", "/F1 1 Tf", "1.1 TL", "10 780 Td"]
for line in lines:
    ops.append("(%s) '" % line)
ops.append("ET")
content = zlib.compress("\n".join(ops).encode(), 9)

objects = []  # (number, bytes)
def add(body):
    objects.append(body)
    return len(objects)

catalog = add(None)
pages_obj = add(None)
font = add(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
stream = add(b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream")
kids = []
for _ in range(pages):
    kids.append(add(b"<< /Type /Page /Parent %d 0 R /MediaBox [0 0 612 792] /Contents %d 0 R "
                    b"/Resources << /Font << /F1 %d 0 R >> >> >>" % (pages_obj, stream, font)))
objects[catalog - 1] = b"<< /Type /Catalog /Pages %d 0 R >>" % pages_obj
objects[pages_obj - 1] = b"<< /Type /Pages /Count %d /Kids [%s] >>" % (
    pages, b" ".join(b"%d 0 R" % k for k in kids))

data = bytearray(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
offsets = []
for n, body in enumerate(objects, 1):
    offsets.append(len(data))
    data += b"%d 0 obj\n" % n + body + b"\nendobj\n"
xref = len(data)
data += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
for off in offsets:
    data += b"%010d 00000 n \n" % off
data += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, xref)
with open(out, "wb") as f:
    f.write(data)
