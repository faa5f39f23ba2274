// Package glue is the AWS Glue Data Catalog: databases, tables and
// partitions, per account and region (the catalog id is the account).
// Athena keeps its tables here (internal/server hands Athena this
// catalog). ETL — crawlers, jobs, workflows — is not served: those
// operations answer NotImplemented saying so.
package glue

import (
	"errors"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	glueapi "github.com/niwa-cloud/niwa/internal/api/glue"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Glue implements the Data Catalog part of the Glue API.
type Glue struct {
	store storage.Store
	clock clock.Clock
}

// New returns the catalog over store.
func New(store storage.Store, clk clock.Clock) *Glue {
	return &Glue{store: store, clock: clk}
}

// Build makes the service from what the platform gives it.
func Build(d kit.Deps) (kit.Declaration, error) {
	return New(d.Store, d.Clock).Declare(), nil
}

var (
	databases  = storage.NewTable[glueapi.Database]("databases")
	tables     = storage.NewTable[glueapi.Table]("tables")
	partitions = storage.NewTable[glueapi.Partition]("partitions")
)

func scope(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

// checkCatalog refuses another account's catalog.
func checkCatalog(ctx *request.Context, id *string) error {
	if id != nil && *id != ctx.Account {
		return glueapi.ErrAccessDeniedException.New("Cross account access to catalog %s is not allowed.", *id)
	}
	return nil
}

// Glue keeps names in lower case, as Hive does.
func norm(s *string) string { return strings.ToLower(ptr.Deref(s)) }

func dbNotFound(name string) error {
	return glueapi.ErrEntityNotFoundException.New("Database %s not found.", name)
}

func tableNotFound(name string) error {
	return glueapi.ErrEntityNotFoundException.New("Table %s not found.", name)
}

// defaultDB is the database every catalog has: Athena creates "default"
// on first use, so it is there unless stored otherwise.
const defaultDB = "default"

func implicitDefault(sc storage.Scope) glueapi.Database {
	return glueapi.Database{Name: ptr.To(defaultDB), Description: ptr.To("Default Hive database"),
		LocationUri: ptr.To("hive://default"), CreateTime: ptr.To(time.Unix(0, 0).UTC()), CatalogId: ptr.To(sc.Account),
		Parameters: map[string]string{}}
}

func getDB(tx storage.Tx, sc storage.Scope, name string) (glueapi.Database, error) {
	d, ok, err := databases.Get(tx, sc, name)
	if err == nil && !ok {
		if name == defaultDB {
			return implicitDefault(sc), nil
		}
		err = dbNotFound(name)
	}
	return d, err
}

// CreateDatabase creates a database.
func (g *Glue) CreateDatabase(ctx *request.Context, in *glueapi.CreateDatabaseInput) (*glueapi.CreateDatabaseOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	name := norm(in.DatabaseInput.Name)
	now := ctx.Now().UTC()
	d := glueapi.Database{Name: &name, Description: in.DatabaseInput.Description, LocationUri: in.DatabaseInput.LocationUri,
		Parameters: in.DatabaseInput.Parameters, CreateTime: &now, CatalogId: ptr.To(ctx.Account),
		CreateTableDefaultPermissions: in.DatabaseInput.CreateTableDefaultPermissions}
	err := g.store.Update(func(tx storage.Tx) error {
		if _, ok, err := databases.Get(tx, sc, name); err != nil {
			return err
		} else if ok || name == defaultDB {
			return glueapi.ErrAlreadyExistsException.New("Database already exists.")
		}
		if len(in.Tags) > 0 {
			if err := tags.Put(tx, sc, in.Tags, "arn:aws:glue:"+ctx.Region+":"+ctx.Account+":database/"+name); err != nil {
				return err
			}
		}
		return databases.Put(tx, sc, d, name)
	})
	if err != nil {
		return nil, err
	}
	return &glueapi.CreateDatabaseOutput{}, nil
}

// GetDatabase describes a database.
func (g *Glue) GetDatabase(ctx *request.Context, in *glueapi.GetDatabaseInput) (*glueapi.GetDatabaseOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	var d glueapi.Database
	err := g.store.View(func(tx storage.Tx) error {
		var err error
		d, err = getDB(tx, scope(ctx), norm(in.Name))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &glueapi.GetDatabaseOutput{Database: &d}, nil
}

// page cuts a sorted listing at NextToken (the last name of the previous
// page) and MaxResults.
func page[T any](all []T, name func(T) string, token *string, max *int32, limit int) ([]T, *string) {
	if token != nil && *token != "" {
		i := sort.Search(len(all), func(i int) bool { return name(all[i]) > *token })
		all = all[i:]
	}
	n := limit
	if max != nil && *max > 0 && int(*max) < n {
		n = int(*max)
	}
	if len(all) > n {
		next := name(all[n-1])
		return all[:n], &next
	}
	return all, nil
}

// GetDatabases lists the databases.
func (g *Glue) GetDatabases(ctx *request.Context, in *glueapi.GetDatabasesInput) (*glueapi.GetDatabasesOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	all := []glueapi.Database{}
	sc := scope(ctx)
	err := g.store.View(func(tx storage.Tx) error {
		return databases.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, d glueapi.Database) bool {
			all = append(all, d)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	i := sort.Search(len(all), func(i int) bool { return ptr.Deref(all[i].Name) >= defaultDB })
	if i == len(all) || ptr.Deref(all[i].Name) != defaultDB {
		all = append(all[:i], append([]glueapi.Database{implicitDefault(sc)}, all[i:]...)...)
	}
	list, next := page(all, func(d glueapi.Database) string { return ptr.Deref(d.Name) }, in.NextToken, in.MaxResults, 100)
	return &glueapi.GetDatabasesOutput{DatabaseList: list, NextToken: next}, nil
}

// UpdateDatabase replaces a database's definition.
func (g *Glue) UpdateDatabase(ctx *request.Context, in *glueapi.UpdateDatabaseInput) (*glueapi.UpdateDatabaseOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	name := norm(in.Name)
	err := g.store.Update(func(tx storage.Tx) error {
		d, err := getDB(tx, sc, name)
		if err != nil {
			return err
		}
		if n := norm(in.DatabaseInput.Name); n != name {
			return glueapi.ErrInvalidInputException.New("Database name cannot be changed.")
		}
		d.Description, d.LocationUri, d.Parameters = in.DatabaseInput.Description, in.DatabaseInput.LocationUri, in.DatabaseInput.Parameters
		return databases.Put(tx, sc, d, name)
	})
	if err != nil {
		return nil, err
	}
	return &glueapi.UpdateDatabaseOutput{}, nil
}

// DeleteDatabase deletes a database with its tables and partitions.
func (g *Glue) DeleteDatabase(ctx *request.Context, in *glueapi.DeleteDatabaseInput) (*glueapi.DeleteDatabaseOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	name := norm(in.Name)
	err := g.store.Update(func(tx storage.Tx) error {
		if _, err := getDB(tx, sc, name); err != nil {
			return err
		}
		// Tags go with their database and tables.
		var arns []string
		if err := tables.List(tx, sc, []string{name}, storage.ListOptions{}, func(_ []string, t glueapi.Table) bool {
			arns = append(arns, tableARN(sc, ctx.Region, name, ptr.Deref(t.Name)))
			return true
		}); err != nil {
			return err
		}
		arns = append(arns, "arn:aws:glue:"+ctx.Region+":"+sc.Account+":database/"+name)
		for _, arn := range arns {
			if err := tags.Delete(tx, sc, arn); err != nil {
				return err
			}
		}
		if err := storage.DeletePrefix(tx, sc.Prefix(tables.Name(), name)); err != nil {
			return err
		}
		if err := storage.DeletePrefix(tx, sc.Prefix(partitions.Name(), name)); err != nil {
			return err
		}
		return databases.Delete(tx, sc, name)
	})
	if err != nil {
		return nil, err
	}
	return &glueapi.DeleteDatabaseOutput{}, nil
}

// tableOf builds a table record from its input.
func tableOf(ctx *request.Context, db string, in *glueapi.TableInput, created *time.Time) glueapi.Table {
	now := ctx.Now().UTC()
	if created == nil {
		created = &now
	}
	name := norm(in.Name)
	t := glueapi.Table{Name: &name, DatabaseName: &db, Description: in.Description, Owner: in.Owner, CreateTime: created,
		UpdateTime: &now, LastAccessTime: in.LastAccessTime, Retention: in.Retention, StorageDescriptor: in.StorageDescriptor,
		PartitionKeys: in.PartitionKeys, ViewOriginalText: in.ViewOriginalText, ViewExpandedText: in.ViewExpandedText,
		TableType: in.TableType, Parameters: in.Parameters, CreatedBy: ptr.To(ctx.Caller.ARN), CatalogId: ptr.To(ctx.Account),
		IsRegisteredWithLakeFormation: ptr.To(false), VersionId: ptr.To("0")}
	if t.Retention == nil {
		t.Retention = ptr.To[int32](0)
	}
	return t
}

// CreateTable creates a table in a database.
func (g *Glue) CreateTable(ctx *request.Context, in *glueapi.CreateTableInput) (*glueapi.CreateTableOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	if in.TableInput == nil {
		return nil, glueapi.ErrInvalidInputException.New("TableInput is required.")
	}
	sc := scope(ctx)
	db := norm(in.DatabaseName)
	t := tableOf(ctx, db, in.TableInput, nil)
	err := g.store.Update(func(tx storage.Tx) error {
		if _, err := getDB(tx, sc, db); err != nil {
			return err
		}
		if _, ok, err := tables.Get(tx, sc, db, *t.Name); err != nil {
			return err
		} else if ok {
			return glueapi.ErrAlreadyExistsException.New("Table already exists.")
		}
		return tables.Put(tx, sc, t, db, *t.Name)
	})
	if err != nil {
		return nil, err
	}
	return &glueapi.CreateTableOutput{}, nil
}

func getTable(tx storage.Tx, sc storage.Scope, db, name string) (glueapi.Table, error) {
	if _, err := getDB(tx, sc, db); err != nil {
		return glueapi.Table{}, err
	}
	t, ok, err := tables.Get(tx, sc, db, name)
	if err == nil && !ok {
		err = tableNotFound(name)
	}
	return t, err
}

// GetTable describes a table.
func (g *Glue) GetTable(ctx *request.Context, in *glueapi.GetTableInput) (*glueapi.GetTableOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	var t glueapi.Table
	err := g.store.View(func(tx storage.Tx) error {
		var err error
		t, err = getTable(tx, scope(ctx), norm(in.DatabaseName), norm(in.Name))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &glueapi.GetTableOutput{Table: &t}, nil
}

// namePattern is GetTables' Expression: a regular expression matched
// against the whole name, where a bare * means any characters (as the
// console and CLI examples write "sales*").
func namePattern(expr string) (*regexp.Regexp, error) {
	var b strings.Builder
	for i := 0; i < len(expr); i++ {
		if expr[i] == '*' && (i == 0 || expr[i-1] != '.') {
			b.WriteString(".*")
			continue
		}
		b.WriteByte(expr[i])
	}
	re, err := regexp.Compile("(?i)^(?:" + b.String() + ")$")
	if err != nil {
		return nil, glueapi.ErrInvalidInputException.New("Invalid expression: %s", expr)
	}
	return re, nil
}

// GetTables lists a database's tables, those matching Expression.
func (g *Glue) GetTables(ctx *request.Context, in *glueapi.GetTablesInput) (*glueapi.GetTablesOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	var re *regexp.Regexp
	if e := ptr.Deref(in.Expression); e != "" {
		var err error
		if re, err = namePattern(e); err != nil {
			return nil, err
		}
	}
	sc := scope(ctx)
	db := norm(in.DatabaseName)
	all := []glueapi.Table{}
	err := g.store.View(func(tx storage.Tx) error {
		if _, err := getDB(tx, sc, db); err != nil {
			return err
		}
		return tables.List(tx, sc, []string{db}, storage.ListOptions{}, func(_ []string, t glueapi.Table) bool {
			if re == nil || re.MatchString(ptr.Deref(t.Name)) {
				all = append(all, t)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	list, next := page(all, func(t glueapi.Table) string { return ptr.Deref(t.Name) }, in.NextToken, in.MaxResults, 100)
	return &glueapi.GetTablesOutput{TableList: list, NextToken: next}, nil
}

// UpdateTable replaces a table's definition.
func (g *Glue) UpdateTable(ctx *request.Context, in *glueapi.UpdateTableInput) (*glueapi.UpdateTableOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	if in.TableInput == nil {
		return nil, glueapi.ErrInvalidInputException.New("TableInput is required.")
	}
	sc := scope(ctx)
	db := norm(in.DatabaseName)
	name := norm(in.TableInput.Name)
	err := g.store.Update(func(tx storage.Tx) error {
		old, err := getTable(tx, sc, db, name)
		if err != nil {
			return err
		}
		t := tableOf(ctx, db, in.TableInput, old.CreateTime)
		t.CreatedBy = old.CreatedBy
		v, _ := strconv.Atoi(ptr.Deref(old.VersionId)) // a version id niwa wrote
		t.VersionId = ptr.To(strconv.Itoa(v + 1))
		return tables.Put(tx, sc, t, db, name)
	})
	if err != nil {
		return nil, err
	}
	return &glueapi.UpdateTableOutput{}, nil
}

func tableARN(sc storage.Scope, region, db, name string) string {
	return "arn:aws:glue:" + region + ":" + sc.Account + ":table/" + db + "/" + name
}

// deleteTable deletes a table with its partitions and tags.
func deleteTable(tx storage.Tx, sc storage.Scope, db, name string) error {
	if _, err := getTable(tx, sc, db, name); err != nil {
		return err
	}
	if err := tags.Delete(tx, sc, tableARN(sc, sc.Region, db, name)); err != nil {
		return err
	}
	if err := storage.DeletePrefix(tx, sc.Prefix(partitions.Name(), db, name)); err != nil {
		return err
	}
	return tables.Delete(tx, sc, db, name)
}

// DeleteTable deletes a table.
func (g *Glue) DeleteTable(ctx *request.Context, in *glueapi.DeleteTableInput) (*glueapi.DeleteTableOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	err := g.store.Update(func(tx storage.Tx) error {
		return deleteTable(tx, scope(ctx), norm(in.DatabaseName), norm(in.Name))
	})
	if err != nil {
		return nil, err
	}
	return &glueapi.DeleteTableOutput{}, nil
}

// BatchDeleteTable deletes tables, answering each failure in Errors.
func (g *Glue) BatchDeleteTable(ctx *request.Context, in *glueapi.BatchDeleteTableInput) (*glueapi.BatchDeleteTableOutput, error) {
	if err := checkCatalog(ctx, in.CatalogId); err != nil {
		return nil, err
	}
	out := &glueapi.BatchDeleteTableOutput{}
	sc := scope(ctx)
	db := norm(in.DatabaseName)
	for _, n := range in.TablesToDelete {
		name := strings.ToLower(n)
		err := g.store.Update(func(tx storage.Tx) error { return deleteTable(tx, sc, db, name) })
		if err != nil {
			var e *awserr.Error
			if !errors.As(err, &e) {
				return nil, err
			}
			out.Errors = append(out.Errors, glueapi.TableError{TableName: ptr.To(n),
				ErrorDetail: &glueapi.ErrorDetail{ErrorCode: ptr.To(e.Code.Code), ErrorMessage: ptr.To(e.Message)}})
		}
	}
	return out, nil
}
