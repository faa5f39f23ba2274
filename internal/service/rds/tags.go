package rds

import (
	"strings"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// withTags finds the resource an ARN names and lets edit change its
// tags (stored when edit returns true).
func (s *RDS) withTags(tx storage.Tx, ctx *request.Context, resource string, edit func(tags *[]rdsapi.Tag) bool) error {
	parts := strings.SplitN(resource, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "rds" {
		return rdsapi.ErrDBInstanceNotFoundFault.New("DBInstance %s not found.", resource)
	}
	kind, id := parts[5], strings.ToLower(parts[6])
	switch kind {
	case "db":
		r, ok, err := instances.Get(tx, anywhere, ctx.Account, ctx.Region, id)
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrDBInstanceNotFoundFault.New("DBInstance %s not found.", parts[6])
		}
		if edit(&r.Tags) {
			return s.put(tx, r)
		}
	case "snapshot":
		r, ok, err := snapshots.Get(tx, scope(ctx), id)
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrDBSnapshotNotFoundFault.New("DBSnapshot %s not found.", parts[6])
		}
		if edit(&r.Tags) {
			return snapshots.Put(tx, scope(ctx), r, id)
		}
	case "subgrp":
		r, ok, err := subnetGroups.Get(tx, scope(ctx), id)
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrDBSubnetGroupNotFoundFault.New("DBSubnetGroup '%s' not found.", parts[6])
		}
		if edit(&r.Tags) {
			return subnetGroups.Put(tx, scope(ctx), r, id)
		}
	case "pg":
		r, ok, err := paramGroups.Get(tx, scope(ctx), id)
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrDBParameterGroupNotFoundFault.New("DBParameterGroup not found: %s", parts[6])
		}
		if edit(&r.Tags) {
			return paramGroups.Put(tx, scope(ctx), r, id)
		}
	case "cluster":
		r, ok, err := clusters.Get(tx, anywhere, ctx.Account, ctx.Region, id)
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrDBClusterNotFoundFault.New("DBCluster %s not found.", parts[6])
		}
		if edit(&r.Tags) {
			return putCluster(tx, r)
		}
	case "cluster-snapshot":
		r, ok, err := clusterSnaps.Get(tx, scope(ctx), id)
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrDBClusterSnapshotNotFoundFault.New("DBClusterSnapshot %s not found.", parts[6])
		}
		if edit(&r.Tags) {
			return clusterSnaps.Put(tx, scope(ctx), r, id)
		}
	case "cluster-pg":
		r, ok, err := clusterParamGroups.Get(tx, scope(ctx), id)
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrDBParameterGroupNotFoundFault.New("DBClusterParameterGroup not found: %s", parts[6])
		}
		if edit(&r.Tags) {
			return clusterParamGroups.Put(tx, scope(ctx), r, id)
		}
	case "cluster-endpoint":
		r, ok, err := clusterEndpoints.Get(tx, anywhere, ctx.Account, ctx.Region, id)
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrDBClusterEndpointNotFoundFault.New("DBClusterEndpoint %s not found.", parts[6])
		}
		if edit(&r.Tags) {
			return clusterEndpoints.Put(tx, anywhere, r, ctx.Account, ctx.Region, id)
		}
	default:
		return rdsapi.ErrResourceNotFoundFault.New("The specified resource name does not match an RDS resource in this region.")
	}
	return nil
}

// AddTagsToResource adds or replaces tags.
func (s *RDS) AddTagsToResource(ctx *request.Context, in *rdsapi.AddTagsToResourceInput) (*rdsapi.AddTagsToResourceOutput, error) {
	err := s.store.Update(func(tx storage.Tx) error {
		return s.withTags(tx, ctx, ptr.Deref(in.ResourceName), func(tags *[]rdsapi.Tag) bool {
			for _, t := range in.Tags {
				replaced := false
				for i := range *tags {
					if ptr.Deref((*tags)[i].Key) == ptr.Deref(t.Key) {
						(*tags)[i].Value, replaced = t.Value, true
					}
				}
				if !replaced {
					*tags = append(*tags, t)
				}
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.AddTagsToResourceOutput{}, nil
}

// RemoveTagsFromResource removes tags by key.
func (s *RDS) RemoveTagsFromResource(ctx *request.Context, in *rdsapi.RemoveTagsFromResourceInput) (*rdsapi.RemoveTagsFromResourceOutput, error) {
	drop := map[string]bool{}
	for _, k := range in.TagKeys {
		drop[k] = true
	}
	err := s.store.Update(func(tx storage.Tx) error {
		return s.withTags(tx, ctx, ptr.Deref(in.ResourceName), func(tags *[]rdsapi.Tag) bool {
			var kept []rdsapi.Tag
			for _, t := range *tags {
				if !drop[ptr.Deref(t.Key)] {
					kept = append(kept, t)
				}
			}
			*tags = kept
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.RemoveTagsFromResourceOutput{}, nil
}

// ListTagsForResource lists a resource's tags.
func (s *RDS) ListTagsForResource(ctx *request.Context, in *rdsapi.ListTagsForResourceInput) (*rdsapi.ListTagsForResourceOutput, error) {
	out := &rdsapi.ListTagsForResourceOutput{TagList: []rdsapi.Tag{}}
	err := s.store.Update(func(tx storage.Tx) error {
		return s.withTags(tx, ctx, ptr.Deref(in.ResourceName), func(tags *[]rdsapi.Tag) bool {
			out.TagList = append(out.TagList, *tags...)
			return false
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *RDS) resourceTags(ctx *request.Context, resource string) (map[string]string, bool, error) {
	m := map[string]string{}
	found := true
	err := s.store.View(func(tx storage.Tx) error {
		return s.withTags(tx, ctx, resource, func(tags *[]rdsapi.Tag) bool {
			for _, t := range *tags {
				m[ptr.Deref(t.Key)] = ptr.Deref(t.Value)
			}
			return false
		})
	})
	if err != nil {
		found = false
		if strings.Contains(err.Error(), "not found") || strings.Contains(err.Error(), "does not match") {
			return nil, false, nil
		}
		return nil, false, err
	}
	return m, found, nil
}
