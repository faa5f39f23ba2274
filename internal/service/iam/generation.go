package iam

// Everything that decides what a principal may do (its policies, groups,
// boundary, tags, the managed policies' versions) is a record of IAM's
// store, which New wraps in a storage.Counting: a cache of anything
// derived from them is current while the count is unchanged.

// Generation is the number of writes to IAM's state so far (and resets
// of it): read it before reading what the authorizer caches, and the
// cached value is current while Generation still returns the same.
func (s *IAM) Generation() uint64 { return s.gen.Load() }

// reset is the service's Reset: the store was emptied under it.
func (s *IAM) reset() error {
	s.gen.Add(1)
	s.views.reset()
	return nil
}
