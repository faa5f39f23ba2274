// Package lambda runs Lambda functions as local processes, without Docker.
//
// Each warm execution environment is one runtime process (the function's
// own bootstrap for provided.* runtimes, or a small bootstrap niwa embeds
// for python and nodejs) with its own loopback listener implementing the
// Lambda Runtime API (/2018-06-01/runtime/...). The Executor keeps warm
// environments per function configuration, bounds their concurrency, kills
// the process group on timeout, restarts crashed runtimes, and hands every
// invocation's output, framed by START/END/REPORT lines as on AWS, to a log
// sink (CloudWatch Logs, wired by the server).
//
// The package knows nothing about the Lambda API, storage or other
// services: internal/service/lambda decides what to run and with which
// environment, this package runs it.
package lambda
