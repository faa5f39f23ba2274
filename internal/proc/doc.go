// Package proc holds the process helpers shared by the engines that run
// user code as local processes (Lambda's runtimes, EC2 instances' user
// data and commands): a process tree lives in its own process group so
// that one kill ends everything it started.
package proc
