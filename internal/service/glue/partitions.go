package glue

import (
	"errors"
	"strings"

	glueapi "github.com/niwa-cloud/niwa/internal/api/glue"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// partitionKey is a partition's key part: its values, joined by a byte
// no value holds in practice (unit separator).
func partitionKey(values []string) string { return strings.Join(values, "\x1f") }

func partitionNotFound() error {
	return glueapi.ErrEntityNotFoundException.New("Cannot find partition.")
}

// putPartition stores one partition of t.
func putPartition(ctx *request.Context, tx storage.Tx, sc storage.Scope, t glueapi.Table, in glueapi.PartitionInput) error {
	if len(in.Values) != len(t.PartitionKeys) {
		return glueapi.ErrInvalidInputException.New("The number of partition keys do not match the number of partition values")
	}
	key := partitionKey(in.Values)
	if _, ok, err := partitions.Get(tx, sc, *t.DatabaseName, *t.Name, key); err != nil {
		return err
	} else if ok {
		return glueapi.ErrAlreadyExistsException.New("Partition already exists.")
	}
	now := ctx.Now().UTC()
	p := glueapi.Partition{Values: in.Values, DatabaseName: t.DatabaseName, TableName: t.Name, CreationTime: &now,
		LastAccessTime: in.LastAccessTime, StorageDescriptor: in.StorageDescriptor, Parameters: in.Parameters,
		LastAnalyzedTime: in.LastAnalyzedTime, CatalogId: ptr.To(ctx.Account)}
	return partitions.Put(tx, sc, p, *t.DatabaseName, *t.Name, key)
}

// CreatePartition adds a partition to a table.
func (g *Glue) CreatePartition(ctx *request.Context, in *glueapi.CreatePartitionInput) (*glueapi.CreatePartitionOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	err := g.store.Update(func(tx storage.Tx) error {
		t, err := getTable(tx, sc, norm(in.DatabaseName), norm(in.TableName))
		if err != nil {
			return err
		}
		return putPartition(ctx, tx, sc, t, *in.PartitionInput)
	})
	if err != nil {
		return nil, err
	}
	return &glueapi.CreatePartitionOutput{}, nil
}

// BatchCreatePartition adds partitions, answering each failure in Errors.
func (g *Glue) BatchCreatePartition(ctx *request.Context, in *glueapi.BatchCreatePartitionInput) (*glueapi.BatchCreatePartitionOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	db, name := norm(in.DatabaseName), norm(in.TableName)
	if err := g.store.View(func(tx storage.Tx) error { _, err := getTable(tx, sc, db, name); return err }); err != nil {
		return nil, err
	}
	out := &glueapi.BatchCreatePartitionOutput{}
	for _, pi := range in.PartitionInputList {
		err := g.store.Update(func(tx storage.Tx) error {
			t, err := getTable(tx, sc, db, name)
			if err != nil {
				return err
			}
			return putPartition(ctx, tx, sc, t, pi)
		})
		if err != nil {
			var e *awserr.Error
			if !errors.As(err, &e) {
				return nil, err
			}
			out.Errors = append(out.Errors, glueapi.PartitionError{PartitionValues: pi.Values,
				ErrorDetail: &glueapi.ErrorDetail{ErrorCode: ptr.To(e.Code.Code), ErrorMessage: ptr.To(e.Message)}})
		}
	}
	return out, nil
}

// GetPartition describes one partition.
func (g *Glue) GetPartition(ctx *request.Context, in *glueapi.GetPartitionInput) (*glueapi.GetPartitionOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var p glueapi.Partition
	err := g.store.View(func(tx storage.Tx) error {
		t, err := getTable(tx, sc, norm(in.DatabaseName), norm(in.TableName))
		if err != nil {
			return err
		}
		var ok bool
		p, ok, err = partitions.Get(tx, sc, *t.DatabaseName, *t.Name, partitionKey(in.PartitionValues))
		if err == nil && !ok {
			err = partitionNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &glueapi.GetPartitionOutput{Partition: &p}, nil
}

// GetPartitions lists a table's partitions, those Expression selects.
func (g *Glue) GetPartitions(ctx *request.Context, in *glueapi.GetPartitionsInput) (*glueapi.GetPartitionsOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	all := []glueapi.Partition{}
	err := g.store.View(func(tx storage.Tx) error {
		t, err := getTable(tx, sc, norm(in.DatabaseName), norm(in.TableName))
		if err != nil {
			return err
		}
		var filter *partExpr
		if e := ptr.Deref(in.Expression); strings.TrimSpace(e) != "" {
			if filter, err = parsePartitionExpr(e, t.PartitionKeys); err != nil {
				return glueapi.ErrInvalidInputException.New("%v", err)
			}
		}
		return partitions.List(tx, sc, []string{*t.DatabaseName, *t.Name}, storage.ListOptions{}, func(_ []string, p glueapi.Partition) bool {
			if filter == nil || filter.eval(p.Values) {
				all = append(all, p)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	list, next := page(all, func(p glueapi.Partition) string { return partitionKey(p.Values) }, in.NextToken, in.MaxResults, 1000)
	return &glueapi.GetPartitionsOutput{Partitions: list, NextToken: next}, nil
}

// DeletePartition deletes one partition.
func (g *Glue) DeletePartition(ctx *request.Context, in *glueapi.DeletePartitionInput) (*glueapi.DeletePartitionOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	err := g.store.Update(func(tx storage.Tx) error {
		t, err := getTable(tx, sc, norm(in.DatabaseName), norm(in.TableName))
		if err != nil {
			return err
		}
		ok, err := partitions.DeleteExisting(tx, sc, *t.DatabaseName, *t.Name, partitionKey(in.PartitionValues))
		if err == nil && !ok {
			err = partitionNotFound()
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &glueapi.DeletePartitionOutput{}, nil
}

// BatchDeletePartition deletes partitions, answering each failure in
// Errors.
func (g *Glue) BatchDeletePartition(ctx *request.Context, in *glueapi.BatchDeletePartitionInput) (*glueapi.BatchDeletePartitionOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	db, name := norm(in.DatabaseName), norm(in.TableName)
	out := &glueapi.BatchDeletePartitionOutput{}
	err := g.store.Update(func(tx storage.Tx) error {
		if _, err := getTable(tx, sc, db, name); err != nil {
			return err
		}
		for _, pv := range in.PartitionsToDelete {
			ok, err := partitions.DeleteExisting(tx, sc, db, name, partitionKey(pv.Values))
			if err != nil {
				return err
			}
			if !ok {
				out.Errors = append(out.Errors, glueapi.PartitionError{PartitionValues: pv.Values,
					ErrorDetail: &glueapi.ErrorDetail{ErrorCode: ptr.To(glueapi.ErrEntityNotFoundException.Code), ErrorMessage: ptr.To("Cannot find partition.")}})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// BatchGetPartition reads partitions; missing ones are UnprocessedKeys.
func (g *Glue) BatchGetPartition(ctx *request.Context, in *glueapi.BatchGetPartitionInput) (*glueapi.BatchGetPartitionOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	db, name := norm(in.DatabaseName), norm(in.TableName)
	out := &glueapi.BatchGetPartitionOutput{Partitions: []glueapi.Partition{}, UnprocessedKeys: []glueapi.PartitionValueList{}}
	err := g.store.View(func(tx storage.Tx) error {
		if _, err := getTable(tx, sc, db, name); err != nil {
			return err
		}
		for _, pv := range in.PartitionsToGet {
			p, ok, err := partitions.Get(tx, sc, db, name, partitionKey(pv.Values))
			if err != nil {
				return err
			}
			if ok {
				out.Partitions = append(out.Partitions, p)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdatePartition replaces a partition (its values may change).
func (g *Glue) UpdatePartition(ctx *request.Context, in *glueapi.UpdatePartitionInput) (*glueapi.UpdatePartitionOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	err := g.store.Update(func(tx storage.Tx) error {
		t, err := getTable(tx, sc, norm(in.DatabaseName), norm(in.TableName))
		if err != nil {
			return err
		}
		old := partitionKey(in.PartitionValueList)
		p, ok, err := partitions.Get(tx, sc, *t.DatabaseName, *t.Name, old)
		if err != nil {
			return err
		}
		if !ok {
			return partitionNotFound()
		}
		if len(in.PartitionInput.Values) != len(t.PartitionKeys) {
			return glueapi.ErrInvalidInputException.New("The number of partition keys do not match the number of partition values")
		}
		if err := partitions.Delete(tx, sc, *t.DatabaseName, *t.Name, old); err != nil {
			return err
		}
		p.Values, p.StorageDescriptor, p.Parameters = in.PartitionInput.Values, in.PartitionInput.StorageDescriptor, in.PartitionInput.Parameters
		p.LastAccessTime, p.LastAnalyzedTime = in.PartitionInput.LastAccessTime, in.PartitionInput.LastAnalyzedTime
		return partitions.Put(tx, sc, p, *t.DatabaseName, *t.Name, partitionKey(p.Values))
	})
	if err != nil {
		return nil, err
	}
	return &glueapi.UpdatePartitionOutput{}, nil
}

// crawlersRefused is the answer of the ETL side of Glue, which niwa does
// not run.
func crawlersRefused(op string) error {
	return glueapi.ErrOperationNotSupportedException.New("%s is not supported by niwa: Glue crawlers, jobs and workflows do not run here. Define tables with CreateTable or Athena DDL (CREATE EXTERNAL TABLE, MSCK REPAIR TABLE).", op)
}

// CreateCrawler is refused (crawlersRefused).
func (g *Glue) CreateCrawler(*request.Context, *glueapi.CreateCrawlerInput) (*glueapi.CreateCrawlerOutput, error) {
	return nil, crawlersRefused("CreateCrawler")
}

// StartCrawler is refused (crawlersRefused).
func (g *Glue) StartCrawler(*request.Context, *glueapi.StartCrawlerInput) (*glueapi.StartCrawlerOutput, error) {
	return nil, crawlersRefused("StartCrawler")
}

// GetCrawler is refused (crawlersRefused).
func (g *Glue) GetCrawler(*request.Context, *glueapi.GetCrawlerInput) (*glueapi.GetCrawlerOutput, error) {
	return nil, crawlersRefused("GetCrawler")
}

// CreateJob is refused (crawlersRefused).
func (g *Glue) CreateJob(*request.Context, *glueapi.CreateJobInput) (*glueapi.CreateJobOutput, error) {
	return nil, crawlersRefused("CreateJob")
}
