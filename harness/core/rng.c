/*
 * rng.c -- the project's own portable PRNG: xoshiro256** (Blackman & Vigna 2018) seeded by
 * SplitMix64, so synthetic data are the same on every platform (never rand()).
 */
#include "hg_core.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *x)
{
  uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
  return (x << k) | (x >> (64 - k));
}

void hg_rng_seed(hg_rng *r, uint64_t seed)
{
  uint64_t x = seed;
  for (int i = 0; i < 4; i++)
    r->s[i] = splitmix64(&x);
}

uint64_t hg_rng_next(hg_rng *r)
{
  uint64_t *s = r->s;
  uint64_t result = rotl(s[1] * 5, 7) * 9;
  uint64_t t = s[1] << 17;
  s[2] ^= s[0];
  s[3] ^= s[1];
  s[1] ^= s[2];
  s[0] ^= s[3];
  s[2] ^= t;
  s[3] = rotl(s[3], 45);
  return result;
}

double hg_rng_uniform(hg_rng *r)
{
  return (double)(hg_rng_next(r) >> 11) * 0x1.0p-53;
}

/* Marsaglia's polar method; uses only sqrt and log, so the stream is reproducible. */
double hg_rng_normal(hg_rng *r)
{
  double u, v, s;
  do {
    u = 2.0 * hg_rng_uniform(r) - 1.0;
    v = 2.0 * hg_rng_uniform(r) - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  return u * sqrt(-2.0 * log(s) / s);
}

void hg_rng_normals(hg_rng *r, size_t count, double scale, double *x)
{
  for (size_t i = 0; i < count; i++)
    x[i] = scale * hg_rng_normal(r);
}
