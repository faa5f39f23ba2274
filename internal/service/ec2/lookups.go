package ec2

import (
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// SecurityGroup returns a security group of an account and region, for
// services that check references to groups (Lambda's VpcConfig).
func (s *EC2) SecurityGroup(account, region, id string) (ec2api.SecurityGroup, bool, error) {
	var g ec2api.SecurityGroup
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		g, ok, err = sgs.table.Get(tx, storage.Scope{Account: account, Region: region}, id)
		return err
	})
	return g, ok, err
}
