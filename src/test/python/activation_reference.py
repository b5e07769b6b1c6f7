#!/usr/bin/env python3
"""Writes the reference tables of ErfTest and ActivationTest, computed with mpmath at 60 digits.

Run by hand from the repository root (Debian: python3-mpmath):
    python3 src/test/python/activation_reference.py

Each x is a double (its exact binary value is what mpmath gets). Each reference value is written
as a double-double: hi = the double nearest the true value, lo = the double nearest (true - hi),
so a test can measure its error against the true value, not against a rounded one.
"""
import math

import mpmath
from mpmath import mp, mpf

mp.dps = 60
OUT = "src/test/resources/io/gradspark/nn/"

SELU_ALPHA = mpf("1.6732632423543772848170429916717")
SELU_SCALE = mpf("1.0507009873554804934193349852946")


def dd(v):
    hi = float(v)
    lo = float(v - mpf(hi)) if mpmath.isfinite(hi) else 0.0
    return "%r,%r" % (hi, lo)


def xs():
    pts = set()
    for k in range(0, 380):
        pts.add(-7.0 + k * 0.0371)
    for k in range(-96, 97):
        pts.add(k / 16.0)
    for b in (0.84375, 1.25, 6.0, 28.0, 2.857142686843872):
        for s in (1, -1):
            v = b * s
            pts.update([v, math.nextafter(v, math.inf), math.nextafter(v, -math.inf)])
    for v in (1e-300, 2.0 ** -28, 3.7e-20, 1e-9, 1e-5, 0.1, 0.25, 0.3333, 5.99, 7.5, 10.0,
              15.25, 20.0, 26.5, 27.9):
        pts.update([v, -v])
    return sorted(pts)


def erf_table():
    with open(OUT + "erf-reference.csv", "w") as f:
        f.write("# x,erf_hi,erf_lo,erfc_hi,erfc_lo: mpmath %s at %d digits; see "
                "src/test/python/activation_reference.py\n" % (mpmath.__version__, mp.dps))
        for x in xs():
            m = mpf(x)
            f.write("%r,%s,%s\n" % (x, dd(mpmath.erf(m)), dd(mpmath.erfc(m))))


def activation_table():
    with open(OUT + "activation-reference.csv", "w") as f:
        f.write("# x,gelu,elu,selu,softplus,silu (each hi,lo): mpmath %s at %d digits; gelu = "
                "x Phi(x), elu alpha 1, softplus = x above 20 (torch); see "
                "src/test/python/activation_reference.py\n" % (mpmath.__version__, mp.dps))
        pts = [x for x in xs() if abs(x) <= 30] + [-40.0, -35.5, 19.99, 20.0, 20.5, 25.0, 40.0]
        for x in sorted(set(pts)):
            m = mpf(x)
            gelu = m * mpmath.ncdf(m)
            elu = m if m > 0 else mpmath.expm1(m)
            selu = SELU_SCALE * (m if m > 0 else SELU_ALPHA * mpmath.expm1(m))
            softplus = m if m > 20 else mpmath.log1p(mpmath.exp(m))
            silu = m / (1 + mpmath.exp(-m))
            f.write("%r,%s\n" % (x, ",".join(dd(v) for v in (gelu, elu, selu, softplus, silu))))


if __name__ == "__main__":
    erf_table()
    activation_table()
