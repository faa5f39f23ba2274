package rdsdata

import (
	"database/sql"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	rdsdataapi "github.com/niwa-cloud/niwa/internal/api/rdsdata"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// JDBC type codes, which the Data API reports in ColumnMetadata.type.
const (
	jdbcBit       = -7
	jdbcTinyInt   = -6
	jdbcSmallInt  = 5
	jdbcInteger   = 4
	jdbcBigInt    = -5
	jdbcReal      = 7
	jdbcDouble    = 8
	jdbcDecimal   = 3
	jdbcNumeric   = 2
	jdbcChar      = 1
	jdbcVarchar   = 12
	jdbcLongVar   = -1
	jdbcDate      = 91
	jdbcTime      = 92
	jdbcTimestamp = 93
	jdbcBinary    = -2
	jdbcVarBinary = -3
	jdbcBoolean   = 16
	jdbcOther     = 1111
	jdbcArray     = 2003
)

// kind is how a database type name (MySQL's INT, PostgreSQL's INT4)
// maps to a Field and a JDBC type.
func kind(typeName string) (field string, jdbc int) {
	t := strings.TrimPrefix(strings.ToUpper(typeName), "UNSIGNED ")
	if strings.HasPrefix(t, "_") {
		return "array", jdbcArray
	}
	switch t {
	case "TINYINT":
		return "long", jdbcTinyInt
	case "SMALLINT", "INT2", "YEAR":
		return "long", jdbcSmallInt
	case "INT", "INTEGER", "MEDIUMINT", "INT4", "SERIAL", "OID":
		return "long", jdbcInteger
	case "BIGINT", "INT8", "BIGSERIAL":
		return "long", jdbcBigInt
	case "FLOAT", "FLOAT4", "REAL":
		return "double", jdbcReal
	case "DOUBLE", "FLOAT8":
		return "double", jdbcDouble
	case "DECIMAL":
		return "string", jdbcDecimal
	case "NUMERIC":
		return "string", jdbcNumeric
	case "BOOL", "BOOLEAN":
		return "bool", jdbcBoolean
	case "BIT":
		return "bool", jdbcBit
	case "CHAR", "BPCHAR":
		return "string", jdbcChar
	case "VARCHAR", "NAME":
		return "string", jdbcVarchar
	case "TEXT", "TINYTEXT", "MEDIUMTEXT", "LONGTEXT", "JSON", "JSONB", "ENUM", "SET":
		return "string", jdbcLongVar
	case "DATE":
		return "date", jdbcDate
	case "TIME", "TIMETZ":
		return "time", jdbcTime
	case "DATETIME", "TIMESTAMP", "TIMESTAMPTZ":
		return "timestamp", jdbcTimestamp
	case "BLOB", "TINYBLOB", "MEDIUMBLOB", "LONGBLOB", "VARBINARY", "BYTEA":
		return "blob", jdbcVarBinary
	case "BINARY", "GEOMETRY":
		return "blob", jdbcBinary
	case "UUID":
		return "string", jdbcOther
	}
	return "string", jdbcOther
}

// field converts one scanned value to the Data API's Field, the value
// formattedRecords (JSON) shows, and its size in bytes.
func field(typeName string, v any, pg bool) (rdsdataapi.Field, any, int) {
	if v == nil {
		return rdsdataapi.Field{IsNull: ptr.To(true)}, nil, 1
	}
	k, _ := kind(typeName)
	switch x := v.(type) {
	case int64:
		if k == "bool" {
			return rdsdataapi.Field{BooleanValue: ptr.To(x != 0)}, x != 0, 8
		}
		return rdsdataapi.Field{LongValue: ptr.To(x)}, x, 8
	case float64:
		return rdsdataapi.Field{DoubleValue: ptr.To(x)}, x, 8
	case bool:
		return rdsdataapi.Field{BooleanValue: ptr.To(x)}, x, 1
	case time.Time:
		s := formatTime(k, x)
		return rdsdataapi.Field{StringValue: ptr.To(s)}, s, len(s)
	case string:
		return fromText(k, x)
	case []byte:
		if k == "blob" {
			return rdsdataapi.Field{BlobValue: x}, base64.StdEncoding.EncodeToString(x), len(x)
		}
		if k == "bool" && !pg && len(x) == 1 && (x[0] == 0 || x[0] == 1) {
			return rdsdataapi.Field{BooleanValue: ptr.To(x[0] == 1)}, x[0] == 1, 1
		}
		return fromText(k, string(x))
	}
	s := strings.TrimSpace(strconv.Quote(typeName))
	return rdsdataapi.Field{StringValue: ptr.To(s)}, s, len(s)
}

// fromText types a value the server sent as text by its column's kind.
func fromText(k, s string) (rdsdataapi.Field, any, int) {
	switch k {
	case "long":
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return rdsdataapi.Field{LongValue: ptr.To(n)}, n, 8
		}
	case "double":
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return rdsdataapi.Field{DoubleValue: ptr.To(f)}, f, 8
		}
	case "bool":
		switch strings.ToLower(s) {
		case "1", "t", "true":
			return rdsdataapi.Field{BooleanValue: ptr.To(true)}, true, 1
		case "0", "f", "false":
			return rdsdataapi.Field{BooleanValue: ptr.To(false)}, false, 1
		}
	}
	return rdsdataapi.Field{StringValue: ptr.To(s)}, s, len(s)
}

// formatTime is how the Data API writes dates and times.
func formatTime(k string, t time.Time) string {
	switch k {
	case "date":
		return t.Format("2006-01-02")
	case "time":
		return t.Format("15:04:05")
	}
	if t.Nanosecond() != 0 {
		return strings.TrimRight(t.Format("2006-01-02 15:04:05.000000"), "0")
	}
	return t.Format("2006-01-02 15:04:05")
}

// metadata is a column's ColumnMetadata.
func metadata(c *sql.ColumnType, pg bool) rdsdataapi.ColumnMetadata {
	tn := c.DatabaseTypeName()
	k, jdbc := kind(tn)
	m := rdsdataapi.ColumnMetadata{Name: ptr.To(c.Name()), Label: ptr.To(c.Name()), Type: ptr.To(int32(jdbc)),
		TypeName: ptr.To(tn), SchemaName: ptr.To(""), TableName: ptr.To(""), IsAutoIncrement: ptr.To(false),
		IsSigned:   ptr.To((k == "long" || k == "double" || jdbc == jdbcDecimal || jdbc == jdbcNumeric) && !strings.HasPrefix(strings.ToUpper(tn), "UNSIGNED")),
		IsCurrency: ptr.To(false), IsCaseSensitive: ptr.To(k == "string"), Nullable: ptr.To(int32(2)),
		Precision: ptr.To(int32(0)), Scale: ptr.To(int32(0)), ArrayBaseColumnType: ptr.To(int32(0))}
	if pg {
		m.TypeName = ptr.To(strings.ToLower(tn))
	}
	if n, ok := c.Nullable(); ok {
		m.Nullable = ptr.To(map[bool]int32{true: 1, false: 0}[n])
	}
	if p, sc, ok := c.DecimalSize(); ok {
		m.Precision, m.Scale = ptr.To(int32(p)), ptr.To(int32(sc))
	} else if l, ok := c.Length(); ok && l < 1<<31 {
		m.Precision = ptr.To(int32(l))
	}
	return m
}
