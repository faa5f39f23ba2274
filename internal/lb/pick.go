package lb

import (
	"sync"
	"sync/atomic"
)

// Candidate is a target a request may be sent to.
type Candidate struct {
	// Key identifies the target within its group (id:port).
	Key string
	// Addr is where to dial it (host:port); empty when it cannot be
	// resolved (an instance that is not running).
	Addr  string
	State string
}

// Routable reports whether a target in state may receive requests at
// all: draining, unused and unavailable targets never do.
func Routable(state string) bool {
	return state == StateHealthy || state == StateUnhealthy || state == StateInitial
}

// Eligible is the set of candidates a request may go to. ELBv2 (ALB and
// NLB) sends requests only to healthy targets and, when no target is
// healthy, fails open to every routable target; Classic ELB sends them
// only to healthy targets and to none when none is healthy
// (failOpen false).
func Eligible(cs []Candidate, failOpen bool) []Candidate {
	var healthy, all []Candidate
	for _, c := range cs {
		if c.Addr == "" || !Routable(c.State) {
			continue
		}
		all = append(all, c)
		if c.State == StateHealthy {
			healthy = append(healthy, c)
		}
	}
	if len(healthy) > 0 || !failOpen {
		return healthy
	}
	return all
}

// RoundRobin hands out candidates in turn per group. It is a cache of
// counters only: losing it (a restart) just restarts the rotation.
type RoundRobin struct {
	mu   sync.Mutex
	next map[string]*atomic.Uint64
}

// Pick returns the next of cs for group, ok false when cs is empty.
func (rr *RoundRobin) Pick(group string, cs []Candidate) (Candidate, bool) {
	if len(cs) == 0 {
		return Candidate{}, false
	}
	rr.mu.Lock()
	if rr.next == nil {
		rr.next = map[string]*atomic.Uint64{}
	}
	n := rr.next[group]
	if n == nil {
		n = &atomic.Uint64{}
		rr.next[group] = n
	}
	rr.mu.Unlock()
	i := n.Add(1) - 1
	return cs[i%uint64(len(cs))], true
}

// Forget drops a group's counter (the group was deleted).
func (rr *RoundRobin) Forget(group string) {
	rr.mu.Lock()
	defer rr.mu.Unlock()
	delete(rr.next, group)
}
