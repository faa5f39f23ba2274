package ec2

import (
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/images"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Cross-account AMI sharing. An image lives in its owner's scope, but a
// launch permission (ModifyImageAttribute) lets other accounts see and
// launch it: every account for group "all", one account for a UserId.
// imageShares indexes those images per region across accounts, so another
// account finds them without scanning every account's images. The owner's
// imagePerms stay the truth; the index follows them in the same
// transaction, and a reader checks the owner's image still exists.
var imageShares = storage.NewTable[imageShare]("imageshare")

// imageShare is the index entry of one image with a launch permission
// beyond its owner.
type imageShare struct {
	Owner  string
	Public bool
	Users  []string // account ids with an explicit launch permission
}

// shareScope is the region's index, outside every account.
func shareScope(region string) storage.Scope { return storage.Scope{Region: region} }

// syncShare rewrites the index entry of the owner's image id from its
// launch permissions: no permission beyond the owner removes it.
func syncShare(tx storage.Tx, region, owner, id string, perms []ec2api.LaunchPermission) error {
	sh := imageShare{Owner: owner}
	for _, p := range perms {
		if ptr.Deref(p.Group) == "all" {
			sh.Public = true
		}
		if u := ptr.Deref(p.UserId); u != "" && u != owner && !contains(sh.Users, u) {
			sh.Users = append(sh.Users, u)
		}
	}
	if !sh.Public && len(sh.Users) == 0 {
		_, err := imageShares.DeleteExisting(tx, shareScope(region), id)
		return err
	}
	return imageShares.Put(tx, shareScope(region), sh, id)
}

// reaches reports whether the share lets account launch the image.
func (sh imageShare) reaches(account string) bool {
	return sh.Owner != account && (sh.Public || contains(sh.Users, account))
}

// sharedImage is another account's image the caller may launch (public or
// shared with it); ok is false for any other image.
func sharedImage(tx storage.Tx, ctx *request.Context, id string) (im ec2api.Image, sh imageShare, ok bool, err error) {
	sh, ok, err = imageShares.Get(tx, shareScope(ctx.Region), id)
	if err != nil || !ok || !sh.reaches(ctx.Account) {
		return im, sh, false, err
	}
	im, ok, err = userImages.table.Get(tx, storage.Scope{Account: sh.Owner, Region: ctx.Region}, id)
	return im, sh, ok, err
}

// shares lists the region's index: every image some account shares.
func shares(tx storage.Tx, region string) (map[string]imageShare, error) {
	out := map[string]imageShare{}
	err := imageShares.List(tx, shareScope(region), nil, storage.ListOptions{}, func(key []string, v imageShare) bool {
		out[key[len(key)-1]] = v
		return true
	})
	return out, err
}

// sharedWith lists the other accounts' images the caller may launch.
func sharedWith(tx storage.Tx, ctx *request.Context, idx map[string]imageShare) ([]ec2api.Image, error) {
	var out []ec2api.Image
	for id, sh := range idx {
		if !sh.reaches(ctx.Account) {
			continue
		}
		im, ok, err := userImages.table.Get(tx, storage.Scope{Account: sh.Owner, Region: ctx.Region}, id)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, im)
		}
	}
	return out, nil
}

// CancelImageLaunchPermission removes the caller's account from the launch
// permissions of an image another account shared with it explicitly.
func (s *EC2) CancelImageLaunchPermission(ctx *request.Context, in *ec2api.CancelImageLaunchPermissionRequest) (*ec2api.CancelImageLaunchPermissionResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.ImageId)
	if id == "" {
		return nil, errMissingParameter.New("The request must contain the parameter ImageId")
	}
	if !strings.HasPrefix(id, "ami-") {
		return nil, errAMIMalformed.New("Invalid id: \"%s\" (expecting \"ami-...\")", id)
	}
	err := s.store.Update(func(tx storage.Tx) error {
		_, sh, ok, err := sharedImage(tx, ctx, id)
		if err != nil {
			return err
		}
		if ok && contains(sh.Users, ctx.Account) {
			owner := storage.Scope{Account: sh.Owner, Region: ctx.Region}
			perms, _, err := imagePerms.Get(tx, owner, id)
			if err != nil {
				return err
			}
			kept := perms[:0]
			for _, p := range perms {
				if ptr.Deref(p.UserId) != ctx.Account {
					kept = append(kept, p)
				}
			}
			if err := imagePerms.Put(tx, owner, kept, id); err != nil {
				return err
			}
			return syncShare(tx, ctx.Region, sh.Owner, id, kept)
		}
		// An image the caller can see but holds no explicit permission
		// for (its own, a public one) is not its to cancel.
		if ok {
			return errUnauthorized(id)
		}
		if _, own, err := userImages.table.Get(tx, scope(ctx), id); err != nil || own {
			if err != nil {
				return err
			}
			return errUnauthorized(id)
		}
		for _, c := range images.Catalog(ctx.Region) {
			if c.ID == id {
				return errUnauthorized(id)
			}
		}
		return errAMINotFound.New("The image id '[%s]' does not exist", id)
	})
	return answer(&ec2api.CancelImageLaunchPermissionResult{Return: ptr.To(true)}, err)
}
