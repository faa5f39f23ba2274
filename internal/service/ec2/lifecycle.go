package ec2

import (
	"encoding/json"
	"time"

	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// transitionRecord is a pending timer: the instance's transient state
// ends (or a terminated instance disappears) at Due. Keyed (account,
// region, instance id) in the empty scope so New can find them all.
type transitionRecord struct {
	Due time.Time
}

var transitions = storage.NewTable[transitionRecord]("transition")

// resume re-arms every stored transition; those already due fire at once.
func (s *EC2) resume() error {
	type item struct {
		sc  storage.Scope
		id  string
		due time.Time
	}
	var items []item
	err := s.store.View(func(tx storage.Tx) error {
		return transitions.List(tx, storage.Scope{}, nil, storage.ListOptions{}, func(k []string, v transitionRecord) bool {
			if len(k) == 3 {
				items = append(items, item{storage.Scope{Account: k[0], Region: k[1]}, k[2], v.Due})
			}
			return true
		})
	})
	if err != nil {
		return err
	}
	for _, it := range items {
		s.schedule(it.sc, it.id, it.due)
	}
	return nil
}

// schedule arms (or re-arms) the instance's timer for due.
func (s *EC2) schedule(sc storage.Scope, id string, due time.Time) {
	key := sc.Account + "/" + sc.Region + "/" + id
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	if t, ok := s.timers[key]; ok {
		t.Stop()
	}
	d := due.Sub(s.clock.Now())
	if d < 0 {
		d = 0
	}
	s.timers[key] = s.clock.AfterFunc(d, func() {
		s.mu.Lock()
		delete(s.timers, key)
		s.mu.Unlock()
		s.advance(sc, id)
	})
}

// advance moves an instance out of a transient state once it is due:
// pending → running, stopping → stopped, shutting-down → terminated, and
// removes terminated instances after the retention period. It publishes
// the state-change event after the change is stored.
func (s *EC2) advance(sc storage.Scope, id string) {
	now := s.clock.Now().UTC()
	var newState string
	var again time.Time
	err := s.store.Update(func(tx storage.Tx) error {
		t, ok, err := transitions.Get(tx, storage.Scope{}, sc.Account, sc.Region, id)
		if err != nil || !ok {
			return err
		}
		r, ok, err := instances.table.Get(tx, sc, id)
		if err != nil {
			return err
		}
		if !ok {
			return transitions.Delete(tx, storage.Scope{}, sc.Account, sc.Region, id)
		}
		if now.Before(t.Due) {
			again = t.Due
			return nil
		}
		switch r.State {
		case "pending":
			r.State = "running"
		case "stopping":
			r.State = "stopped"
			r.StateReason, r.StateReasonMsg = "Client.UserInitiatedShutdown", "Client.UserInitiatedShutdown: User initiated shutdown"
			if err := s.releaseAutoPublic(tx, sc, r.ENI); err != nil {
				return err
			}
		case "shutting-down":
			r.State = "terminated"
			r.TerminatedAt = now
			if err := s.teardown(tx, sc, &r); err != nil {
				return err
			}
			again = now.Add(s.opts.TerminatedRetention)
			if err := transitions.Put(tx, storage.Scope{}, transitionRecord{Due: again}, sc.Account, sc.Region, id); err != nil {
				return err
			}
			newState = r.State
			return instances.put(tx, sc, id, r)
		case "terminated":
			if err := instances.table.Delete(tx, sc, id); err != nil {
				return err
			}
			return transitions.Delete(tx, storage.Scope{}, sc.Account, sc.Region, id)
		default:
			return transitions.Delete(tx, storage.Scope{}, sc.Account, sc.Region, id)
		}
		newState = r.State
		if err := instances.put(tx, sc, id, r); err != nil {
			return err
		}
		return transitions.Delete(tx, storage.Scope{}, sc.Account, sc.Region, id)
	})
	if err != nil {
		// The store failed (closed at shutdown, most likely); the stored
		// transition stays and resumes on the next start.
		return
	}
	if newState != "" {
		s.publishState(sc, id, newState, now)
		s.runtimeState(sc, id, newState)
	}
	if !again.IsZero() {
		s.schedule(sc, id, again)
	}
}

// releaseAutoPublic drops an interface's auto-assigned public address
// (a stopped instance loses it; Elastic IPs stay).
func (s *EC2) releaseAutoPublic(tx storage.Tx, sc storage.Scope, eniID string) error {
	e, ok, err := enis.table.Get(tx, sc, eniID)
	if err != nil || !ok || e.Association == nil || e.Association.AllocationId != nil {
		return err
	}
	if err := releasePublicIP(tx, sc, ptr.Deref(e.Association.PublicIp)); err != nil {
		return err
	}
	e.Association = nil
	// Elastic IPs of secondary addresses stay.
	for i := range e.PrivateIpAddresses {
		if a := e.PrivateIpAddresses[i].Association; a != nil && a.AllocationId == nil {
			e.PrivateIpAddresses[i].Association = nil
		}
	}
	return enis.put(tx, sc, eniID, e)
}

// teardown frees what a terminated instance held: its primary interface
// and address, Elastic IP associations, volumes marked delete-on-termination.
func (s *EC2) teardown(tx storage.Tx, sc storage.Scope, r *instanceRecord) error {
	if err := s.releaseAutoPublic(tx, sc, r.ENI); err != nil {
		return err
	}
	if e, ok, _ := enis.table.Get(tx, sc, r.ENI); ok {
		if e.Association != nil && e.Association.AllocationId != nil {
			if a, ok, _ := addresses.table.Get(tx, sc, *e.Association.AllocationId); ok {
				if err := s.disassociateEIP(tx, sc, &a); err != nil {
					return err
				}
			}
		}
		if err := releaseENIIPs(tx, sc, e); err != nil {
			return err
		}
		if err := enis.table.Delete(tx, sc, r.ENI); err != nil {
			return err
		}
	}
	for _, x := range r.ExtraENIs {
		if e, ok, _ := enis.table.Get(tx, sc, x.ID); ok {
			e.Attachment, e.Status = nil, ptr.To("available")
			if err := enis.put(tx, sc, x.ID, e); err != nil {
				return err
			}
		}
	}
	r.ExtraENIs = nil
	for _, v := range r.Volumes {
		vol, ok, _ := volumes.table.Get(tx, sc, v.VolumeID)
		if !ok {
			continue
		}
		if v.DeleteOnTermination {
			if err := volumes.table.Delete(tx, sc, v.VolumeID); err != nil {
				return err
			}
			continue
		}
		vol.Attachments = nil
		vol.State = ptr.To("available")
		if err := volumes.put(tx, sc, v.VolumeID, vol); err != nil {
			return err
		}
	}
	r.Volumes = nil
	return nil
}

// publishState emits the EC2 Instance State-change Notification as
// EventBridge delivers it.
func (s *EC2) publishState(sc storage.Scope, id, state string, at time.Time) {
	if s.bus == nil {
		return
	}
	detail, _ := json.Marshal(map[string]string{"instance-id": id, "state": state})
	s.bus.Publish(events.Event{
		ID: awsid.UUID(), Version: "0", Source: "aws.ec2", DetailType: "EC2 Instance State-change Notification",
		Account: sc.Account, Region: sc.Region, Time: at.UTC().Truncate(time.Second),
		Resources: []string{instanceARN(sc, id)}, Detail: detail,
	})
}
