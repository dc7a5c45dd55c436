#pragma once
// The image list: thumbnails (decoded off the UI thread), per-image status
// (new / in progress / done, settable here), a name filter, a status filter
// and counts. Selecting a row opens that image.
#include <QDockWidget>

class QComboBox;
class QLabel;
class QLineEdit;
class QListView;
class QSortFilterProxyModel;

namespace samlabel::ui {

class AnnotationDocument;
class ImageListModel;
class ThumbnailCache;

class ImageListDock : public QDockWidget {
    Q_OBJECT
public:
    explicit ImageListDock(AnnotationDocument* document, QWidget* parent = nullptr);

    ThumbnailCache* thumbnails() const { return thumbnails_; }
    QListView* view() const { return view_; }
    QLineEdit* filterEdit() const { return filter_; }
    QString countsText() const;
    int visibleRowCount() const;
    // Sets the status of the current image (undoable).
    void setCurrentStatus(int status);

private:
    void syncSelection();
    void updateCounts();

    AnnotationDocument* document_;
    ThumbnailCache* thumbnails_;
    ImageListModel* model_;
    QSortFilterProxyModel* name_proxy_;
    QSortFilterProxyModel* status_proxy_;  // chained after name_proxy_
    QListView* view_;
    QLineEdit* filter_;
    QComboBox* status_filter_;
    QComboBox* status_setter_;
    QLabel* counts_;
    bool syncing_ = false;
};

}  // namespace samlabel::ui
