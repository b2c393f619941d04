package redis

import (
	"context"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Ingest's batched traffic: the rate limits and appends of many report
// requests in two pipelines rather than three round trips a request.

// IngestRequest is one report request as the ingest hands it over: its
// charge to the rate limits and, unless it is to be refused whatever the
// limits say (an invalid report still spends its budget, as every request
// does), the report to append once the limits allow it.
type IngestRequest struct {
	Limit LimitCheck
	// Count and Value are the report; Value "" charges the limits only.
	Count ReportCount
	Value string
}

// IngestResult is what became of one IngestRequest.
type IngestResult struct {
	// Limit is the rate limits' answer, unless LimitErr says they could
	// not be checked, in which case nothing was appended.
	Limit    LimitResult
	LimitErr error
	// Tried says the report was sent to be appended (the limits allowed
	// it); Append or AppendErr is then what came of it.
	Tried     bool
	Append    AppendResult
	AppendErr error
}

// Ingest charges the limits of every request in one pipeline, then appends
// the reports of those the limits allow in a second (each exactly as Submit
// would), and fills out, as long as reqs, with each request's result. On a
// Redis Cluster each pipeline goes to every node concerned at once: each
// request's limit keys share a hash slot (their network's), as do each
// append's (its stream's), so nothing crosses slots. One request's failure
// (a node down, say) is that request's alone.
func (a *Appender) Ingest(ctx context.Context, reqs []IngestRequest, out []IngestResult) {
	limits := make([]scriptCall, len(reqs))
	for i, r := range reqs {
		limits[i] = scriptCall{script: limitScript, keys: r.Limit.keys(), args: r.Limit.args()}
	}
	a.runScripts(ctx, limits)
	now := time.Now()

	appends := make([]scriptCall, 0, len(reqs))
	which := make([]int, 0, len(reqs))
	for i, r := range reqs {
		out[i] = IngestResult{}
		if err := limits[i].err; err != nil {
			out[i].LimitErr = fmt.Errorf("rate limit: %w", err)
			continue
		}
		lr, err := r.Limit.parse(now, limits[i].res)
		if err != nil {
			out[i].LimitErr = err
			continue
		}
		out[i].Limit = lr
		if lr.Reached() || r.Value == "" {
			continue
		}
		st := a.StreamFor(r.Count.Service)
		appends = append(appends, scriptCall{script: appendScript, keys: a.appendKeys(st, r.Count), args: a.appendArgs(r.Value)})
		which = append(which, i)
	}
	a.runScripts(ctx, appends)
	for j, i := range which {
		out[i].Tried = true
		out[i].Append, out[i].AppendErr = parseAppend(appends[j].keys[0], appends[j].res, appends[j].err)
	}
}

// scriptCall is one script call of a pipeline, and its reply.
type scriptCall struct {
	script *goredis.Script
	keys   []string
	args   []any
	res    any
	err    error
}

// runScripts runs calls in one pipeline of EVALSHA. Calls that Redis did
// not run are sent again: those whose script a restarted or new node
// lacks (NOSCRIPT) in one pipeline of EVAL, which loads it, and those
// refused for the moment (TRYAGAIN while a slot migrates, a cluster or
// master down, a node still loading or turned replica) one by one, through
// the client's own retries and redirections, which a pipeline on a cluster
// does not apply to these. A call Redis may have run (a connection lost
// after sending, a timeout) is never sent again: its error stands.
func (a *Appender) runScripts(ctx context.Context, calls []scriptCall) {
	if len(calls) == 0 {
		return
	}
	a.pipeline(ctx, calls, func(p goredis.Pipeliner, c *scriptCall) *goredis.Cmd {
		return c.script.EvalSha(ctx, p, c.keys, c.args...)
	})
	var noScript []scriptCall
	var idx []int
	for i := range calls {
		if goredis.HasErrorPrefix(calls[i].err, "NOSCRIPT") {
			noScript = append(noScript, calls[i])
			idx = append(idx, i)
		}
	}
	if len(noScript) > 0 {
		a.pipeline(ctx, noScript, func(p goredis.Pipeliner, c *scriptCall) *goredis.Cmd {
			return c.script.Eval(ctx, p, c.keys, c.args...)
		})
		for j, i := range idx {
			calls[i] = noScript[j]
		}
	}
	for i := range calls {
		if c := &calls[i]; notRun(c.err) {
			c.res, c.err = c.script.Run(ctx, a.rdb, c.keys, c.args...).Result()
		}
	}
}

// pipeline sends one command per call, made by cmd, in one pipeline, and
// stores each reply in its call.
func (a *Appender) pipeline(ctx context.Context, calls []scriptCall, cmd func(goredis.Pipeliner, *scriptCall) *goredis.Cmd) {
	p := a.rdb.Pipeline()
	cmds := make([]*goredis.Cmd, len(calls))
	for i := range calls {
		cmds[i] = cmd(p, &calls[i])
	}
	// Exec's error is the first command's that failed; each command
	// carries its own, read below.
	_, _ = p.Exec(ctx)
	for i, c := range cmds {
		calls[i].res, calls[i].err = c.Result()
	}
}

// notRun reports whether err is Redis refusing to run a command at all,
// for the moment, so that sending it again cannot do anything twice.
func notRun(err error) bool {
	if err == nil {
		return false
	}
	for _, prefix := range []string{"NOSCRIPT", "TRYAGAIN", "CLUSTERDOWN", "LOADING", "MASTERDOWN", "READONLY"} {
		if goredis.HasErrorPrefix(err, prefix) {
			return true
		}
	}
	return false
}
