package archive

import (
	_ "embed"
	"fmt"
)

// srgbProfile is the sRGB IEC61966-2.1 ICC profile from Debian's
// icc-profiles-free (zlib licence). See NOTICE.md.
//
//go:embed srgb.icc
var srgbProfile []byte

// writeOutputIntent writes object n as the PDF/A output intent: page colours
// are meant as sRGB, the space scanners produce. The ICC profile must be
// embedded for PDF/A.
func writeOutputIntent(o *objectWriter, n int) {
	profile := o.reserve()
	o.object(n, fmt.Sprintf("<</Type /OutputIntent /S /GTS_PDFA1"+
		" /OutputConditionIdentifier (sRGB IEC61966-2.1) /RegistryName (http://www.color.org)"+
		" /Info (sRGB IEC61966-2.1) /DestOutputProfile %d 0 R>>", profile))
	o.stream(profile, "/N 3 /Alternate /DeviceRGB /Filter /FlateDecode", deflate(srgbProfile))
}
