package ec2

import (
	"sort"
	"strings"
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// as is the fixture's request context acting as another account's root.
func (f *fixture) as(account string) *request.Context {
	c := *f.ctx
	c.Account, c.Caller = account, servicetest.Root(account)
	return &c
}

// TestImageSharingAcrossAccounts: a launch permission lets another account
// see and launch an image, as in AWS; without one the image does not
// exist for it.
func TestImageSharingAcrossAccounts(t *testing.T) {
	f := newFixture(t, "eu-west-1")
	const b, c = "111122223333", "444455556666"
	register := func(ctx *request.Context, name string) string {
		return ptr.Deref(must(f.RegisterImage(ctx, &ec2api.RegisterImageRequest{Name: ptr.To(name)})).ImageId)
	}
	private, shared, public := register(f.ctx, "private"), register(f.ctx, "shared"), register(f.ctx, "public")
	mineB := register(f.as(b), "b-own")
	must(f.ModifyImageAttribute(f.ctx, &ec2api.ModifyImageAttributeRequest{ImageId: ptr.To(shared), LaunchPermission: &ec2api.LaunchPermissionModifications{
		Add: []ec2api.LaunchPermission{{UserId: ptr.To(b)}}}}))
	must(f.ModifyImageAttribute(f.ctx, &ec2api.ModifyImageAttributeRequest{ImageId: ptr.To(public), Attribute: ptr.To("launchPermission"), OperationType: ptr.To("add"), UserGroups: []string{"all"}}))

	// ids lists the non-catalog images a caller sees, sorted.
	ids := func(ctx *request.Context, in *ec2api.DescribeImagesRequest) string {
		var out []string
		for _, im := range must(f.DescribeImages(ctx, in)).Images {
			if o := ptr.Deref(im.OwnerId); o == testAccount || o == b || o == c {
				out = append(out, ptr.Deref(im.ImageId))
			}
		}
		sort.Strings(out)
		return strings.Join(out, ",")
	}
	set := func(v ...string) string { sort.Strings(v); return strings.Join(v, ",") }
	views := []struct {
		name, account string
		in            *ec2api.DescribeImagesRequest
		want          string
	}{
		{"owner sees all its own", testAccount, &ec2api.DescribeImagesRequest{Owners: []string{"self"}}, set(private, shared, public)},
		{"no filter: own, public and shared", b, &ec2api.DescribeImagesRequest{}, set(mineB, shared, public)},
		{"by owner", b, &ec2api.DescribeImagesRequest{Owners: []string{testAccount}}, set(shared, public)},
		{"executable by self: explicit shares only", b, &ec2api.DescribeImagesRequest{ExecutableUsers: []string{"self"}}, set(shared)},
		{"executable by all", b, &ec2api.DescribeImagesRequest{ExecutableUsers: []string{"all"}, Owners: []string{testAccount}}, set(public)},
		{"by id", b, &ec2api.DescribeImagesRequest{ImageIds: []string{shared}}, set(shared)},
		{"owner asks who it shared with", testAccount, &ec2api.DescribeImagesRequest{ExecutableUsers: []string{b}}, set(shared)},
		{"third account sees the public one", c, &ec2api.DescribeImagesRequest{Owners: []string{testAccount}}, set(public)},
		{"third account: executable by self", c, &ec2api.DescribeImagesRequest{ExecutableUsers: []string{"self"}}, ""},
	}
	for _, v := range views {
		t.Run(v.name, func(t *testing.T) {
			if got := ids(f.as(v.account), v.in); got != v.want {
				t.Fatalf("got %s, want %s", got, v.want)
			}
		})
	}
	_, err := f.DescribeImages(f.as(b), &ec2api.DescribeImagesRequest{ImageIds: []string{private}})
	wantErr(t, err, "InvalidAMIID.NotFound", "The image id '["+private+"]' does not exist")

	launch := func(account, image string) error {
		_, err := f.RunInstances(f.as(account), &ec2api.RunInstancesRequest{ImageId: ptr.To(image), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1))})
		return err
	}
	launches := []struct {
		name, account, image, code string
	}{
		{"shared with b", b, shared, ""},
		{"public", b, public, ""},
		{"public, third account", c, public, ""},
		{"private", b, private, "InvalidAMIID.NotFound"},
		{"shared with b, third account", c, shared, "InvalidAMIID.NotFound"},
	}
	for _, l := range launches {
		t.Run("launch "+l.name, func(t *testing.T) {
			err := launch(l.account, l.image)
			if l.code == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			wantErr(t, err, l.code, "")
		})
	}
	// The owner's attributes stay the owner's.
	_, err = f.DescribeImageAttribute(f.as(b), &ec2api.DescribeImageAttributeRequest{ImageId: ptr.To(shared), Attribute: ptr.To("launchPermission")})
	wantErr(t, err, "AuthFailure", "")

	cancels := []struct {
		name, image, code string
	}{
		{"not shared with b", private, "InvalidAMIID.NotFound"},
		{"public, not explicitly shared", public, "AuthFailure"},
		{"b's own image", mineB, "AuthFailure"},
		{"malformed", "img-1", "InvalidAMIID.Malformed"},
		{"shared with b", shared, ""},
		{"already cancelled", shared, "InvalidAMIID.NotFound"},
	}
	for _, x := range cancels {
		t.Run("cancel "+x.name, func(t *testing.T) {
			out, err := f.CancelImageLaunchPermission(f.as(b), &ec2api.CancelImageLaunchPermissionRequest{ImageId: ptr.To(x.image)})
			if x.code == "" {
				if err != nil || !ptr.Deref(out.Return) {
					t.Fatalf("%+v %v", out, err)
				}
				return
			}
			wantErr(t, err, x.code, "")
		})
	}
	wantErr(t, launch(b, shared), "InvalidAMIID.NotFound", "")
	if a := must(f.DescribeImageAttribute(f.ctx, &ec2api.DescribeImageAttributeRequest{ImageId: ptr.To(shared), Attribute: ptr.To("launchPermission")})); len(a.LaunchPermissions) != 0 {
		t.Fatalf("owner still lists %+v", a.LaunchPermissions)
	}

	// Resetting or deregistering withdraws the share.
	must(f.ResetImageAttribute(f.ctx, &ec2api.ResetImageAttributeRequest{ImageId: ptr.To(public), Attribute: ptr.To("launchPermission")}))
	wantErr(t, launch(c, public), "InvalidAMIID.NotFound", "")
	must(f.ModifyImageAttribute(f.ctx, &ec2api.ModifyImageAttributeRequest{ImageId: ptr.To(private), LaunchPermission: &ec2api.LaunchPermissionModifications{
		Add: []ec2api.LaunchPermission{{UserId: ptr.To(c)}}}}))
	if got := ids(f.as(c), &ec2api.DescribeImagesRequest{}); got != private {
		t.Fatalf("c sees %s", got)
	}
	must(f.DeregisterImage(f.ctx, &ec2api.DeregisterImageRequest{ImageId: ptr.To(private)}))
	if got := ids(f.as(c), &ec2api.DescribeImagesRequest{}); got != "" {
		t.Fatalf("c sees %s after deregistration", got)
	}
}
