#pragma once
// Everything the model adds to the main window, assembled in one place so the
// window itself only calls install_model_ui(): the model thread (session +
// worker), the memory sampler, the model panel and memory gauge docks, the SAM
// tool, the per-image encode (the image on screen first, the next ones ahead),
// and the status-bar figures (encode time, last click latency).
#include "core/service/model_backend.h"

#include <QHash>
#include <QObject>
#include <QPointer>
#include <QString>

#include <memory>

class QLabel;
class QMainWindow;
class QStatusBar;

namespace samlabel::engine {
class MemoryProbe;
class ModelSession;
}  // namespace samlabel::engine

namespace samlabel::service {
class LocalModelBackend;
class MemorySampler;
class ModelRuntime;
class ModelWorker;
}  // namespace samlabel::service

namespace samlabel::ui {

class AnnotationDocument;
class MainWindow;
class MemoryGaugeDock;
class ModelPanel;
class PromptTool;
class SamTool;
class ToolBox;

class ModelUi : public QObject {
    Q_OBJECT
public:
    ModelUi(QMainWindow* window, AnnotationDocument* document, ToolBox* tools, QStatusBar* status_bar);
    ~ModelUi() override;

    service::ModelWorker* worker() const;
    // This process's backend (the model runtime's); backend() is the one in
    // use, which may be a server's or a model process's.
    service::LocalModelBackend* localBackend() const;
    // Preferences the model reads (the converted-weights cache), for this
    // process's model and the model process in use; a running load keeps
    // what it started with.
    void applyPreferences();
    // Where the SAM tool's clicks go (and what the model panel drives): this
    // process's model runtime, a model process or a serve host (remote: the
    // model runs in another process). A remote backend that cannot read this
    // machine's files (a serve host) gets the image on screen as pixels when it
    // changes; one that can (a model process) encodes the images in view
    // itself, like this process's model. Not owned.
    void setBackend(service::ModelBackend* backend, bool remote);
    service::ModelBackend* backend() const;
    bool isRemote() const { return remote_; }
    // The backend needs the images' pixels (a serve host), not their paths.
    bool uploadsImages() const { return uploads_images_; }
    std::shared_ptr<engine::ModelSession> session() const;
    service::MemorySampler* sampler() const;
    ModelPanel* panel() const { return panel_; }
    MemoryGaugeDock* gauge() const { return gauge_; }
    SamTool* samTool() const { return sam_tool_; }
    // "encoding", "encoded", "cached", "failed", "" (not requested) for an image path.
    QString encodeState(const QString& image_path) const;

protected:
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    // The encode status, a lost model process: from whichever backend is in use.
    void connectBackend(service::ModelBackend* backend);
    void onCurrentImageChanged(int index);
    void requestEncodes();
    void updateStatus();
    // The encode state of the image on screen, for the status bar ("SAM: encode
    // 1.2 s"); also sets the SAM tool's overlay text while it encodes.
    QString encodeStatusText();

    QMainWindow* window_;
    AnnotationDocument* document_;
    ToolBox* tools_;
    std::unique_ptr<service::ModelRuntime> runtime_;
    QPointer<service::ModelBackend> backend_;
    bool remote_ = false;
    bool uploads_images_ = false;
    ModelPanel* panel_ = nullptr;
    MemoryGaugeDock* gauge_ = nullptr;
    SamTool* sam_tool_ = nullptr;
    QPointer<PromptTool> previous_prompt_tool_;
    QLabel* status_ = nullptr;
    QHash<QString, QString> encode_state_;
    // Of the image being encoded: "42 % (about 12 s left)", from encodeProgress.
    QHash<QString, QString> encode_progress_;
    double last_encode_ms_ = -1;
    double last_click_ms_ = -1;
    double last_decode_ms_ = -1;
};

// The one call MainWindow makes. Needs MainWindow's document(), toolBox()
// and statusBar(); the docks go to the left (panel, under the images) and bottom (gauge) areas.
ModelUi* install_model_ui(MainWindow& window);

}  // namespace samlabel::ui
