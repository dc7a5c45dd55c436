#include "ui/dialogs/third_party_licences.h"

#include <QCoreApplication>

namespace samlabel::ui {

QString thirdPartyLicencesText() {
    const auto tr = [](const char* text) { return QCoreApplication::translate("ThirdPartyLicences", text); };
    // samlabel links QCustomPlot (GPL-3.0), so the whole program is
    // distributed under the GPL; the others' licences are compatible with it.
    return tr("samlabel is free software under the GNU General Public License, version 3 or later "
              "(GPL-3.0-or-later); see the LICENSE file. It comes with NO WARRANTY.\n\n"
              "Third-party components:\n"
              "  Qt 6 (Core, Gui, Widgets, Network, HttpServer, Concurrent, PrintSupport): LGPL-3.0, The Qt Company\n"
              "  QCustomPlot 2.1: GPL-3.0, Emanuel Eichhammer (the memory gauge)\n"
              "  LibTorch (PyTorch): BSD-3-Clause, Meta Platforms and contributors (the model runtime)\n"
              "  OpenCV 4: Apache-2.0 (image decoding, GrabCut, contours)\n"
              "  nlohmann/json: MIT, Niels Lohmann\n"
              "  NVIDIA CUDA runtime, cuBLAS, cuDNN (CUDA packages only): NVIDIA software licence, redistributed as "
              "NVIDIA allows\n"
              "  Intel oneAPI / OpenMP runtime bundled with LibTorch: their own licences, shipped beside the libraries\n\n"
              "SAM3 model weights are not part of samlabel. They come from Meta under Meta's own SAM licence, which you "
              "accept when you download them (facebook/sam3 on the Hugging Face hub); that licence, not the GPL, "
              "governs the weights and what you do with them.");
}

}  // namespace samlabel::ui
