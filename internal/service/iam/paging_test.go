package iam

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// collect pages through a listing with MaxItems n and returns the pages.
func collect[T any](t *testing.T, n int32, list func(marker *string, max *int32) ([]T, *bool, *string, error)) [][]T {
	t.Helper()
	var pages [][]T
	var marker *string
	for range 20 {
		items, truncated, next, err := list(marker, ptr.To(n))
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, items)
		if truncated == nil {
			t.Fatal("IsTruncated missing")
		}
		if !*truncated {
			if next != nil {
				t.Fatal("Marker on the last page")
			}
			return pages
		}
		if next == nil {
			t.Fatal("truncated page without Marker")
		}
		marker = next
	}
	t.Fatal("pagination does not end")
	return nil
}

// itemNames turns one page of a List answer into what collect wants: the
// names of its items (name picks an item's), IsTruncated and Marker.
func itemNames[E any](items []E, name func(E) *string, truncated *bool, marker *string) ([]string, *bool, *string, error) {
	var r []string
	for _, x := range items {
		r = append(r, *name(x))
	}
	return r, truncated, marker, nil
}

// listPolicyNames is one page of ListPolicies (scope nil: all) for collect.
func listPolicyNames(f *fixture, scope *string, m *string, n *int32) ([]string, *bool, *string, error) {
	out, err := f.ListPolicies(f.ctx, &iamapi.ListPoliciesInput{Scope: scope, Marker: m, MaxItems: n})
	if err != nil {
		return nil, nil, nil, err
	}
	return itemNames(out.Policies, func(x iamapi.Policy) *string { return x.PolicyName }, out.IsTruncated, out.Marker)
}

func TestPaginationThreePages(t *testing.T) {
	f := newFixture(t, WithManagedPolicies(testCatalog()))
	names := []string{"delta", "Alpha", "charlie", "Bravo", "echo", "Golf", "foxtrot"}
	for _, n := range names {
		f.createUser(n)
		f.createRole(n)
		f.createGroup(n)
		f.createPolicy(n)
		must(f.CreateInstanceProfile(f.ctx, &iamapi.CreateInstanceProfileInput{InstanceProfileName: ptr.To(n)}))
	}
	want := []string{"Alpha", "Bravo", "charlie", "delta", "echo", "foxtrot", "Golf"} // case-insensitive order

	check := func(t *testing.T, pages [][]string, want []string) {
		t.Helper()
		if len(pages) != 3 || len(pages[0]) != 3 || len(pages[1]) != 3 || len(pages[2]) != len(want)-6 {
			t.Fatalf("pages = %v", pages)
		}
		if got := slices.Concat(pages...); !slices.Equal(got, want) {
			t.Fatalf("order = %v, want %v", got, want)
		}
	}
	for _, tc := range []struct {
		name string
		list func(m *string, n *int32) ([]string, *bool, *string, error)
	}{
		{"users", func(m *string, n *int32) ([]string, *bool, *string, error) {
			out, err := f.ListUsers(f.ctx, &iamapi.ListUsersInput{Marker: m, MaxItems: n})
			if err != nil {
				return nil, nil, nil, err
			}
			return itemNames(out.Users, func(x iamapi.User) *string { return x.UserName }, out.IsTruncated, out.Marker)
		}},
		{"roles", func(m *string, n *int32) ([]string, *bool, *string, error) {
			out, err := f.ListRoles(f.ctx, &iamapi.ListRolesInput{Marker: m, MaxItems: n})
			if err != nil {
				return nil, nil, nil, err
			}
			return itemNames(out.Roles, func(x iamapi.Role) *string { return x.RoleName }, out.IsTruncated, out.Marker)
		}},
		{"groups", func(m *string, n *int32) ([]string, *bool, *string, error) {
			out, err := f.ListGroups(f.ctx, &iamapi.ListGroupsInput{Marker: m, MaxItems: n})
			if err != nil {
				return nil, nil, nil, err
			}
			return itemNames(out.Groups, func(x iamapi.Group) *string { return x.GroupName }, out.IsTruncated, out.Marker)
		}},
		{"instance profiles", func(m *string, n *int32) ([]string, *bool, *string, error) {
			out, err := f.ListInstanceProfiles(f.ctx, &iamapi.ListInstanceProfilesInput{Marker: m, MaxItems: n})
			if err != nil {
				return nil, nil, nil, err
			}
			return itemNames(out.InstanceProfiles, func(x iamapi.InstanceProfile) *string { return x.InstanceProfileName }, out.IsTruncated, out.Marker)
		}},
		{"local policies", func(m *string, n *int32) ([]string, *bool, *string, error) {
			return listPolicyNames(f, ptr.To("Local"), m, n)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) { check(t, collect(t, 3, tc.list), want) })
	}
	t.Run("all policies", func(t *testing.T) {
		pages := collect(t, 4, func(m *string, n *int32) ([]string, *bool, *string, error) {
			return listPolicyNames(f, nil, m, n)
		})
		all := []string{"AdministratorAccess", "Alpha", "AWSLambdaBasicExecutionRole", "Bravo", "charlie", "delta", "echo", "foxtrot", "Golf", "ReadOnlyAccess"}
		if len(pages) != 3 || !slices.Equal(slices.Concat(pages...), all) {
			t.Fatalf("pages = %v", pages)
		}
	})

	// A marker resumes after its item even when that item is gone.
	first := must(f.ListUsers(f.ctx, &iamapi.ListUsersInput{MaxItems: ptr.To(int32(2))}))
	must(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("Bravo")}))
	next := must(f.ListUsers(f.ctx, &iamapi.ListUsersInput{MaxItems: ptr.To(int32(2)), Marker: first.Marker}))
	if *next.Users[0].UserName != "charlie" {
		t.Errorf("after deleting the marker's item, next page starts at %s", *next.Users[0].UserName)
	}

	wantErr(t, second(f.ListUsers(f.ctx, &iamapi.ListUsersInput{Marker: ptr.To("!!not a marker!!")})), "InvalidInput", 400, "Invalid Marker.")
	wantErr(t, second(f.ListRoles(f.ctx, &iamapi.ListRolesInput{MaxItems: ptr.To(int32(0))})), "ValidationError", 400,
		"1 validation error detected: Value '0' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1")
	wantErr(t, second(f.ListRoles(f.ctx, &iamapi.ListRolesInput{MaxItems: ptr.To(int32(1001))})), "ValidationError", 400, "")
}

func TestPaginationDefaultMaxItems(t *testing.T) {
	f := newFixture(t)
	for i := range 101 {
		f.createUser(fmt.Sprintf("user%03d", i))
	}
	out := must(f.ListUsers(f.ctx, &iamapi.ListUsersInput{}))
	if len(out.Users) != 100 || !*out.IsTruncated {
		t.Fatalf("default page = %d users, truncated %v", len(out.Users), *out.IsTruncated)
	}
	rest := must(f.ListUsers(f.ctx, &iamapi.ListUsersInput{Marker: out.Marker}))
	if len(rest.Users) != 1 || *rest.Users[0].UserName != "user100" || *rest.IsTruncated {
		t.Fatalf("second page = %+v", rest)
	}
}

func TestSmallListsPaginate(t *testing.T) {
	f := newFixture(t)
	f.createRole("r")
	for _, n := range []string{"c", "a", "b"} {
		must(f.PutRolePolicy(f.ctx, &iamapi.PutRolePolicyInput{RoleName: ptr.To("r"), PolicyName: ptr.To(n), PolicyDocument: ptr.To(allowS3)}))
		must(f.TagRole(f.ctx, &iamapi.TagRoleInput{RoleName: ptr.To("r"), Tags: []iamapi.Tag{{Key: ptr.To(n), Value: ptr.To(n)}}}))
	}
	pages := collect(t, 2, func(m *string, n *int32) ([]string, *bool, *string, error) {
		out, err := f.ListRolePolicies(f.ctx, &iamapi.ListRolePoliciesInput{RoleName: ptr.To("r"), Marker: m, MaxItems: n})
		if err != nil {
			return nil, nil, nil, err
		}
		return out.PolicyNames, out.IsTruncated, out.Marker, nil
	})
	if !slices.Equal(slices.Concat(pages...), []string{"a", "b", "c"}) || len(pages) != 2 {
		t.Errorf("inline pages = %v", pages)
	}
	tagPages := collect(t, 2, func(m *string, n *int32) ([]string, *bool, *string, error) {
		out, err := f.ListRoleTags(f.ctx, &iamapi.ListRoleTagsInput{RoleName: ptr.To("r"), Marker: m, MaxItems: n})
		if err != nil {
			return nil, nil, nil, err
		}
		return itemNames(out.Tags, func(x iamapi.Tag) *string { return x.Key }, out.IsTruncated, out.Marker)
	})
	if !slices.Equal(slices.Concat(tagPages...), []string{"c", "a", "b"}) {
		t.Errorf("tag pages = %v (tags keep insertion order)", tagPages)
	}
}

// TestConcurrentWrites runs handlers from many goroutines (under -race) and
// checks that the counts the indexes keep stay exact.
func TestConcurrentWrites(t *testing.T) {
	f := newFixture(t)
	p := f.createPolicy("shared")
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for i := range 16 {
		wg.Go(func() {
			name := fmt.Sprintf("role-%02d", i)
			if _, err := f.CreateRole(f.ctx, &iamapi.CreateRoleInput{RoleName: ptr.To(name), AssumeRolePolicyDocument: ptr.To(trustDoc)}); err != nil {
				errs <- err
				return
			}
			if _, err := f.AttachRolePolicy(f.ctx, &iamapi.AttachRolePolicyInput{RoleName: ptr.To(name), PolicyArn: p.Arn}); err != nil {
				errs <- err
			}
			if _, err := f.ListRoles(f.ctx, &iamapi.ListRolesInput{}); err != nil {
				errs <- err
			}
		})
	}
	// Everyone races to create the same user: exactly one wins.
	var created int
	var mu sync.Mutex
	for range 8 {
		wg.Go(func() {
			if _, err := f.CreateUser(f.ctx, &iamapi.CreateUserInput{UserName: ptr.To("dup")}); err == nil {
				mu.Lock()
				created++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if created != 1 {
		t.Errorf("CreateUser succeeded %d times", created)
	}
	got := must(f.GetPolicy(f.ctx, &iamapi.GetPolicyInput{PolicyArn: p.Arn})).Policy
	if *got.AttachmentCount != 16 {
		t.Errorf("AttachmentCount = %d, want 16", *got.AttachmentCount)
	}
}

// TestDurable checks that state lives in the storage layer: a second IAM on
// a reopened durable store serves what the first one wrote.
func TestDurable(t *testing.T) {
	h := servicetest.New(t, "iam", servicetest.At(t0), servicetest.InAccount(testAccount), servicetest.OnDisk(t.TempDir()))
	f := &fixture{IAM: New(h.Store()), t: t, h: h, clock: h.Clock, ctx: h.Ctx()}
	f.createRole("kept")
	k := must(f.CreateAccessKey(f.ctx, &iamapi.CreateAccessKeyInput{})).AccessKey
	h.Reopen()
	svc := New(h.Store())
	if _, err := svc.GetRole(f.ctx, &iamapi.GetRoleInput{RoleName: ptr.To("kept")}); err != nil {
		t.Errorf("role lost across restart: %v", err)
	}
	if _, ok, err := svc.LookupAccessKey(*k.AccessKeyId); !ok || err != nil {
		t.Errorf("access key lost across restart: %v %v", ok, err)
	}
}
