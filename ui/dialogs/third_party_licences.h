#pragma once
// The licences samlabel is distributed under and the third-party code it
// ships, shown in Help > About. Kept beside the About box so a new dependency
// is listed where users read it (packaging/README.md says what each package bundles).
#include <QString>

namespace samlabel::ui {

// Plain text: samlabel's own licence, one line per third-party component
// (name, licence, what it is for), and the note on SAM3's weights.
QString thirdPartyLicencesText();

}  // namespace samlabel::ui
