/* plan.h — a request body parsed (strict mode) and planned, for the unit tests of what follows
 * from a plan (images, response bodies). Include after unit.h.
 *
 *   struct planned p;
 *   if (PLAN(&p, "{\"prompt\":\"x\"}")) return;   // non-zero: the failure is already reported
 *   ... p.req, p.plan ...
 *   done(&p);
 */
#ifndef IMGMOCK_TEST_PLAN_H
#define IMGMOCK_TEST_PLAN_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "images.h"
#include "request.h"

static const struct req_policy strict = {.mode = REQ_STRICT};

/* A parsed request and its plan, kept together (the plan borrows the request). */
struct planned {
    struct image_request req;
    struct image_plan plan;
    int ok;
};

/* Parse `body` and plan it under `server_seed`; on a parse failure, report it at `line` and
 * return -1. */
static int plan_at(struct planned *p, const char *body, uint64_t server_seed, int line)
{
    struct apierr err = APIERR_INIT;
    memset(p, 0, sizeof *p);
    if (req_parse(body, strlen(body), &strict, &p->req, &err) != 0) {
        fprintf(stderr, "%s:%d: req_parse(%s) failed: %s\n", __FILE__, line, body,
                err.message ? err.message : "(no message)");
        apierr_clear(&err);
        unit_failures_in_test++;
        return -1;
    }
    images_plan(&p->req, server_seed, &p->plan);
    p->ok = 1;
    return 0;
}

static void done(struct planned *p)
{
    if (p->ok)
        req_free(&p->req);
    p->ok = 0;
}

#define PLAN(p, body) plan_at(p, body, 0, __LINE__)
#define PLAN_SEED(p, body, seed) plan_at(p, body, seed, __LINE__)

#endif
