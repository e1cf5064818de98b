/*
 * linsolve.h - solve a small dense linear system.
 */
#ifndef SEAL_VERIFY_LINSOLVE_H
#define SEAL_VERIFY_LINSOLVE_H

/* Solve the n x n system a x = b in place: a (row-major, n*n) is destroyed,
 * b receives x.  Returns 0, or -1 when a is singular (a pivot below 1e-12). */
int linsolve(double *a, double *b, int n);

#endif
