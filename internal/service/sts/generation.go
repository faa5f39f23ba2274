package sts

// STS's store (the temporary credentials it issued) is wrapped in a
// storage.Counting, as IAM's is: a cache of what a credential says is
// current while the count is unchanged.

// Generation is the number of writes to STS's state so far (and resets
// of it).
func (s *STS) Generation() uint64 { return s.gen.Load() }

// reset is the service's Reset: the store was emptied under it.
func (s *STS) reset() error {
	s.gen.Add(1)
	return nil
}
