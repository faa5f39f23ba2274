package apigateway

import (
	"reflect"
	"strconv"
	"strings"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// API Gateway's Update* operations take JSON-Patch-like operations whose
// values are always strings ("true", "10", a template): path segments
// name the resource's members by their wire names, "~1" escapes a "/"
// inside a segment (a content type: /requestTemplates/application~1json)
// and map members take their key as the last segment
// (/requestParameters/method.request.querystring.key). patchPaths lists,
// per kind, the paths a client may change: a path that ends in "/*" is a
// map member taking any key; every other path names a scalar.

type patchPaths []string

// allows reports whether path (already split) is patchable, and whether
// it is a map entry.
func (pp patchPaths) allows(segs []string) bool {
	for _, p := range pp {
		want := strings.Split(strings.TrimPrefix(p, "/"), "/")
		if len(want) != len(segs) {
			continue
		}
		ok := true
		for i := range want {
			if want[i] != "*" && want[i] != segs[i] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func splitPatchPath(path string) []string {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	for i, s := range segs {
		segs[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return segs
}

func errPatchOp(op string) error {
	return apigatewayapi.ErrBadRequestException.New("Invalid patch operation specified. Must be 'add'|'remove'|'replace'|'move'|'copy'|'test'")
}

func errPatchPath(op, path string) error {
	return apigatewayapi.ErrBadRequestException.New("Invalid patch path '%s' specified for op '%s'.", path, op)
}

// applyPatch applies ops to the struct target points to, allowing only
// the listed paths; special handles paths the generic walk cannot (list
// members such as a usage plan's /apiStages): it returns handled true
// when it applied the operation.
func applyPatch(target any, ops []apigatewayapi.PatchOperation, allowed patchPaths, special func(op, path string, value *string) (bool, error)) error {
	for _, p := range ops {
		op, path := ptr.Deref(p.Op), ptr.Deref(p.Path)
		switch op {
		case "add", "remove", "replace":
		case "move", "copy", "test":
			return apigatewayapi.ErrBadRequestException.New("niwa supports the patch operations add, remove and replace; '%s' is not supported", op)
		default:
			return errPatchOp(op)
		}
		if special != nil {
			done, err := special(op, path, p.Value)
			if err != nil {
				return err
			}
			if done {
				continue
			}
		}
		segs := splitPatchPath(path)
		if !allowed.allows(segs) {
			return errPatchPath(op, path)
		}
		if err := setPath(reflect.ValueOf(target).Elem(), segs, op, p.Value, path); err != nil {
			return err
		}
	}
	return nil
}

// fieldByWire finds the struct field whose aws tag is name.
func fieldByWire(v reflect.Value, name string) (reflect.Value, bool) {
	t := v.Type()
	for i := range t.NumField() {
		if t.Field(i).Tag.Get("aws") == name {
			return v.Field(i), true
		}
	}
	return reflect.Value{}, false
}

func setPath(v reflect.Value, segs []string, op string, value *string, path string) error {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			if op == "remove" {
				return nil
			}
			v.Set(reflect.New(v.Type().Elem()))
		}
		v = v.Elem()
	}
	switch v.Kind() {
	case reflect.Struct:
		f, ok := fieldByWire(v, segs[0])
		if !ok {
			return errPatchPath(op, path)
		}
		if len(segs) == 1 {
			return setLeaf(f, op, value, path)
		}
		return setPath(f, segs[1:], op, value, path)
	case reflect.Map:
		if len(segs) != 1 {
			return errPatchPath(op, path)
		}
		key := reflect.ValueOf(segs[0])
		if op == "remove" {
			if !v.IsNil() {
				v.SetMapIndex(key, reflect.Value{})
			}
			return nil
		}
		if v.IsNil() {
			v.Set(reflect.MakeMap(v.Type()))
		}
		elem := reflect.New(v.Type().Elem()).Elem()
		if err := setScalar(elem, ptr.Deref(value), op, path); err != nil {
			return err
		}
		v.SetMapIndex(key, elem)
		return nil
	}
	return errPatchPath(op, path)
}

// setLeaf sets or clears one member.
func setLeaf(f reflect.Value, op string, value *string, path string) error {
	if op == "remove" {
		f.Set(reflect.Zero(f.Type()))
		return nil
	}
	if f.Kind() == reflect.Pointer {
		n := reflect.New(f.Type().Elem())
		if err := setScalar(n.Elem(), ptr.Deref(value), op, path); err != nil {
			return err
		}
		f.Set(n)
		return nil
	}
	return setScalar(f, ptr.Deref(value), op, path)
}

// setScalar parses a patch value into a string, bool or number.
func setScalar(v reflect.Value, s, op, path string) error {
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(s)
		if err != nil {
			return apigatewayapi.ErrBadRequestException.New("Invalid value '%s' for boolean field at path '%s'", s, path)
		}
		v.SetBool(b)
	case reflect.Int32, reflect.Int64, reflect.Int:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return apigatewayapi.ErrBadRequestException.New("Invalid value '%s' for integer field at path '%s'", s, path)
		}
		v.SetInt(n)
	case reflect.Float64:
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return apigatewayapi.ErrBadRequestException.New("Invalid value '%s' for double field at path '%s'", s, path)
		}
		v.SetFloat(n)
	default:
		return errPatchPath(op, path)
	}
	return nil
}
