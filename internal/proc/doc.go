// Package proc holds the process helpers shared by the engines that run
// user code as local processes (Lambda's runtimes, EC2 instances' user
// data and commands): a process tree lives in its own process group so
// that one kill ends everything it started; where the machine allows it,
// a process starts in a mount namespace of its own (Launcher) where bind
// mounts show it what it sees on AWS — a function's layers at /opt, and
// the names niwa hands out in /etc/hosts (Hosts).
package proc
