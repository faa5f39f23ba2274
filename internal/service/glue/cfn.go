package glue

import (
	"strings"

	glueapi "github.com/niwa-cloud/niwa/internal/api/glue"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are Glue's CloudFormation resource types (the Data
// Catalog's: databases and tables).
func (g *Glue) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the database name.
		"AWS::Glue::Database": {
			Create: g.cfnCreateDatabase, Update: g.cfnUpdateDatabase, Delete: g.cfnDeleteDatabase, Read: g.cfnReadDatabase,
			Replace: []string{"CatalogId", "DatabaseName"},
		},
		// Ref is the table name.
		"AWS::Glue::Table": {
			Create: g.cfnCreateTable, Update: g.cfnUpdateTable, Delete: g.cfnDeleteTable, Read: g.cfnReadTable,
			Replace: []string{"CatalogId", "DatabaseName", "OpenTableFormatInput"},
		},
		// Ref is a generated id. Its PartitionInput (values included)
		// changes in place (UpdatePartition).
		"AWS::Glue::Partition": {
			Create: g.cfnCreatePartition, Update: g.cfnUpdatePartition, Delete: g.cfnDeletePartition,
			Replace: []string{"CatalogId", "DatabaseName", "TableName"},
		},
	}
}

func cfnPartitionInput(r kit.ResourceRequest, props map[string]any) (*glueapi.PartitionInput, error) {
	in := &glueapi.PartitionInput{}
	if err := kit.DecodeProp(props, "PartitionInput", in); err != nil {
		return nil, cfnInvalid(r, "PartitionInput", err)
	}
	return in, nil
}

func (g *Glue) cfnCreatePartition(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := cfnRequired(r, "CatalogId", "DatabaseName", "TableName", "PartitionInput"); err != nil {
		return kit.ResourceResult{}, err
	}
	in, err := cfnPartitionInput(r, r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	catalog, db, table := r.Str("CatalogId"), r.Str("DatabaseName"), r.Str("TableName")
	if _, err := g.CreatePartition(ctx, &glueapi.CreatePartitionInput{CatalogId: &catalog, DatabaseName: &db, TableName: &table, PartitionInput: in}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: kit.PhysicalName(r, 255)}, nil
}

func (g *Glue) cfnUpdatePartition(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in, err := cfnPartitionInput(r, r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	old, err := cfnPartitionInput(r, r.OldProperties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	catalog, db, table := r.Str("CatalogId"), r.Str("DatabaseName"), r.Str("TableName")
	if _, err := g.UpdatePartition(ctx, &glueapi.UpdatePartitionInput{CatalogId: &catalog, DatabaseName: &db, TableName: &table,
		PartitionValueList: old.Values, PartitionInput: in}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}

func (g *Glue) cfnDeletePartition(ctx *request.Context, r kit.ResourceRequest) error {
	in, err := cfnPartitionInput(r, r.Properties)
	if err != nil {
		return err
	}
	catalog, db, table := r.Str("CatalogId"), r.Str("DatabaseName"), r.Str("TableName")
	_, err = g.DeletePartition(ctx, &glueapi.DeletePartitionInput{CatalogId: &catalog, DatabaseName: &db, TableName: &table, PartitionValues: in.Values})
	if glueapi.ErrEntityNotFoundException.Is(err) {
		return nil
	}
	return err
}

func cfnInvalid(r kit.ResourceRequest, prop string, err error) error {
	return awserr.ValidationError.New("Properties validation failed for resource %s with message: #/%s: %v", r.LogicalID, prop, err)
}

func cfnRequired(r kit.ResourceRequest, props ...string) error {
	for _, p := range props {
		if !kit.Has(r.Properties, p) {
			return awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [%s] not found", r.LogicalID, p)
		}
	}
	return nil
}

// cfnDatabaseInput reads DatabaseInput, its name the template's (or
// DatabaseName, or a generated one: Glue folds names to lower case).
func cfnDatabaseInput(r kit.ResourceRequest) (*glueapi.DatabaseInput, error) {
	in := &glueapi.DatabaseInput{}
	if err := kit.DecodeProp(r.Properties, "DatabaseInput", in); err != nil {
		return nil, cfnInvalid(r, "DatabaseInput", err)
	}
	if n := r.Str("DatabaseName"); n != "" {
		in.Name = &n
	}
	if in.Name == nil || *in.Name == "" {
		n := strings.ToLower(kit.PhysicalName(r, 255))
		in.Name = &n
	}
	return in, nil
}

func (g *Glue) cfnCreateDatabase(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := cfnRequired(r, "CatalogId", "DatabaseInput"); err != nil {
		return kit.ResourceResult{}, err
	}
	in, err := cfnDatabaseInput(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	catalog := r.Str("CatalogId")
	if _, err := g.CreateDatabase(ctx, &glueapi.CreateDatabaseInput{CatalogId: &catalog, DatabaseInput: in}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: strings.ToLower(*in.Name), Attributes: map[string]any{}}, nil
}

func (g *Glue) cfnUpdateDatabase(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in, err := cfnDatabaseInput(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	catalog, name := r.Str("CatalogId"), r.PhysicalID
	if _, err := g.UpdateDatabase(ctx, &glueapi.UpdateDatabaseInput{CatalogId: &catalog, Name: &name, DatabaseInput: in}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{}}, nil
}

func (g *Glue) cfnDeleteDatabase(ctx *request.Context, r kit.ResourceRequest) error {
	catalog, name := r.Str("CatalogId"), r.PhysicalID
	_, err := g.DeleteDatabase(ctx, &glueapi.DeleteDatabaseInput{CatalogId: &catalog, Name: &name})
	if glueapi.ErrEntityNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (g *Glue) cfnReadDatabase(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	catalog, name := r.Str("CatalogId"), r.PhysicalID
	out, err := g.GetDatabase(ctx, &glueapi.GetDatabaseInput{CatalogId: &catalog, Name: &name})
	if glueapi.ErrEntityNotFoundException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	d := out.Database
	in := map[string]any{"Name": *d.Name}
	if d.Description != nil {
		in["Description"] = *d.Description
	}
	if d.LocationUri != nil {
		in["LocationUri"] = *d.LocationUri
	}
	if len(d.Parameters) > 0 {
		p := map[string]any{}
		for k, v := range d.Parameters {
			p[k] = v
		}
		in["Parameters"] = p
	}
	return map[string]any{"DatabaseInput": in}, nil
}

func cfnTableInput(r kit.ResourceRequest) (*glueapi.TableInput, error) {
	in := &glueapi.TableInput{}
	if err := kit.DecodeProp(r.Properties, "TableInput", in); err != nil {
		return nil, cfnInvalid(r, "TableInput", err)
	}
	if in.Name == nil || *in.Name == "" {
		n := strings.ToLower(kit.PhysicalName(r, 255))
		in.Name = &n
	}
	return in, nil
}

func (g *Glue) cfnCreateTable(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := cfnRequired(r, "CatalogId", "DatabaseName", "TableInput"); err != nil {
		return kit.ResourceResult{}, err
	}
	in, err := cfnTableInput(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	catalog, db := r.Str("CatalogId"), r.Str("DatabaseName")
	req := &glueapi.CreateTableInput{CatalogId: &catalog, DatabaseName: &db, TableInput: in}
	if err := kit.DecodeProp(r.Properties, "OpenTableFormatInput", &req.OpenTableFormatInput); err != nil {
		return kit.ResourceResult{}, cfnInvalid(r, "OpenTableFormatInput", err)
	}
	if _, err := g.CreateTable(ctx, req); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: strings.ToLower(*in.Name), Attributes: map[string]any{}}, nil
}

// cfnUpdateTable replaces the table's definition (UpdateTable keeps a
// table's name, so a new name in TableInput is refused as UpdateDatabase
// refuses a database's).
func (g *Glue) cfnUpdateTable(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in, err := cfnTableInput(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	switch n := kit.PropStr(kit.PropMap(r.Properties, "TableInput"), "Name"); {
	case n == "":
		in.Name = &r.PhysicalID
	case !strings.EqualFold(n, r.PhysicalID):
		return kit.ResourceResult{}, glueapi.ErrInvalidInputException.New("Table name cannot be changed.")
	}
	catalog, db := r.Str("CatalogId"), r.Str("DatabaseName")
	if _, err := g.UpdateTable(ctx, &glueapi.UpdateTableInput{CatalogId: &catalog, DatabaseName: &db, TableInput: in}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{}}, nil
}

func (g *Glue) cfnDeleteTable(ctx *request.Context, r kit.ResourceRequest) error {
	catalog, db, name := r.Str("CatalogId"), r.Str("DatabaseName"), r.PhysicalID
	_, err := g.DeleteTable(ctx, &glueapi.DeleteTableInput{CatalogId: &catalog, DatabaseName: &db, Name: &name})
	if glueapi.ErrEntityNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (g *Glue) cfnReadTable(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	catalog, db, name := r.Str("CatalogId"), r.Str("DatabaseName"), r.PhysicalID
	out, err := g.GetTable(ctx, &glueapi.GetTableInput{CatalogId: &catalog, DatabaseName: &db, Name: &name})
	if glueapi.ErrEntityNotFoundException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	t := out.Table
	in := map[string]any{"Name": *t.Name}
	for k, p := range map[string]*string{"Description": t.Description, "Owner": t.Owner, "TableType": t.TableType,
		"ViewOriginalText": t.ViewOriginalText, "ViewExpandedText": t.ViewExpandedText} {
		if p != nil {
			in[k] = *p
		}
	}
	if sd := t.StorageDescriptor; sd != nil {
		m := map[string]any{}
		if sd.Location != nil {
			m["Location"] = *sd.Location
		}
		var cols []any
		for _, c := range sd.Columns {
			col := map[string]any{"Name": *c.Name}
			if c.Type != nil {
				col["Type"] = *c.Type
			}
			cols = append(cols, col)
		}
		m["Columns"] = cols
		in["StorageDescriptor"] = m
	}
	return map[string]any{"DatabaseName": db, "TableInput": in}, nil
}
