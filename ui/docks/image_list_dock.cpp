#include "ui/docks/image_list_dock.h"

#include "core/annotation/edit_operations.h"
#include "ui/docks/image_list_model.h"
#include "ui/docks/thumbnail_cache.h"
#include "ui/document/annotation_document.h"
#include "ui/settings/app_settings.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QMenu>
#include <QSortFilterProxyModel>
#include <QVBoxLayout>

namespace samlabel::ui {

namespace {
constexpr int kNeedsReviewFilter = 100;  // the status filter's "Needs review" entry
}  // namespace

ImageListDock::ImageListDock(AnnotationDocument* document, QWidget* parent)
    : QDockWidget(tr("Images"), parent), document_(document) {
    setObjectName("images_dock");
    thumbnails_ = new ThumbnailCache(this);
    thumbnails_->setPixelLimit(std::uint64_t(AppSettings::pixelLimit()));
    model_ = new ImageListModel(document_, thumbnails_, this);
    name_proxy_ = new QSortFilterProxyModel(this);
    name_proxy_->setSourceModel(model_);
    name_proxy_->setFilterRole(ImageListModel::RelativePathRole);
    name_proxy_->setFilterCaseSensitivity(Qt::CaseInsensitive);
    status_proxy_ = new QSortFilterProxyModel(this);
    status_proxy_->setSourceModel(name_proxy_);
    status_proxy_->setFilterRole(ImageListModel::StatusRole);

    auto* body = new QWidget(this);
    auto* layout = new QVBoxLayout(body);
    layout->setContentsMargins(4, 4, 4, 4);
    auto* filters = new QHBoxLayout;
    filter_ = new QLineEdit(body);
    filter_->setObjectName("image_filter");
    filter_->setPlaceholderText(tr("Filter by name"));
    filter_->setClearButtonEnabled(true);
    status_filter_ = new QComboBox(body);
    status_filter_->setObjectName("status_filter");
    status_filter_->addItem(tr("All"), 0);
    status_filter_->addItem(tr("New"), int(annotation::ImageStatus::New));
    status_filter_->addItem(tr("In progress"), int(annotation::ImageStatus::InProgress));
    status_filter_->addItem(tr("Done"), int(annotation::ImageStatus::Done));
    status_filter_->addItem(tr("Needs review"), kNeedsReviewFilter);  // auto-label proposals not reviewed yet
    filters->addWidget(filter_, 1);
    filters->addWidget(status_filter_);
    layout->addLayout(filters);

    view_ = new QListView(body);
    view_->setObjectName("image_list");
    view_->setModel(status_proxy_);
    view_->setIconSize(QSize(ThumbnailCache::kSidePx + 6, ThumbnailCache::kSidePx + 6));
    view_->setUniformItemSizes(true);
    view_->setSelectionMode(QAbstractItemView::SingleSelection);
    view_->setContextMenuPolicy(Qt::CustomContextMenu);
    layout->addWidget(view_, 1);

    auto* status_row = new QHBoxLayout;
    status_row->addWidget(new QLabel(tr("Status:"), body));
    status_setter_ = new QComboBox(body);
    status_setter_->setObjectName("status_setter");
    status_setter_->addItem(tr("New"), int(annotation::ImageStatus::New));
    status_setter_->addItem(tr("In progress"), int(annotation::ImageStatus::InProgress));
    status_setter_->addItem(tr("Done"), int(annotation::ImageStatus::Done));
    status_setter_->setToolTip(tr("Status of the current image"));
    status_row->addWidget(status_setter_, 1);
    layout->addLayout(status_row);
    counts_ = new QLabel(body);
    counts_->setObjectName("image_counts");
    layout->addWidget(counts_);
    setWidget(body);

    connect(filter_, &QLineEdit::textChanged, this, [this](const QString& text) {
        name_proxy_->setFilterFixedString(text);
        updateCounts();
        syncSelection();
    });
    connect(status_filter_, &QComboBox::currentIndexChanged, this, [this] {
        const int status = status_filter_->currentData().toInt();
        const bool review = status == kNeedsReviewFilter;
        status_proxy_->setFilterRole(review ? ImageListModel::NeedsReviewRole : ImageListModel::StatusRole);
        status_proxy_->setFilterRegularExpression(status == 0 ? QString() : QString("^%1$").arg(review ? 1 : status));
        updateCounts();
        syncSelection();
    });
    connect(view_->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex& current) {
        if (syncing_ || !current.isValid()) return;
        const QModelIndex source = name_proxy_->mapToSource(status_proxy_->mapToSource(current));
        document_->setCurrentIndex(source.row());
    });
    connect(status_setter_, &QComboBox::activated, this, [this] { setCurrentStatus(status_setter_->currentData().toInt()); });
    connect(view_, &QListView::customContextMenuRequested, this, [this](const QPoint& pos) {
        if (!view_->indexAt(pos).isValid()) return;
        QMenu menu(this);
        for (int i = 0; i < status_setter_->count(); ++i) {
            const int status = status_setter_->itemData(i).toInt();
            menu.addAction(tr("Mark as %1").arg(status_setter_->itemText(i).toLower()), this,
                           [this, status] { setCurrentStatus(status); });
        }
        menu.exec(view_->viewport()->mapToGlobal(pos));
    });
    connect(document_, &AnnotationDocument::currentImageChanged, this, [this] { syncSelection(); });
    connect(document_, &AnnotationDocument::opened, this, [this] {
        thumbnails_->setPixelLimit(std::uint64_t(AppSettings::pixelLimit()));
        updateCounts();
    });
    connect(document_, &AnnotationDocument::closed, this, &ImageListDock::updateCounts);
    connect(document_, &AnnotationDocument::annotationsChanged, this, [this](int index) {
        updateCounts();
        if (index == document_->currentIndex() || index < 0) syncSelection();
    });
    updateCounts();
}

void ImageListDock::setCurrentStatus(int status) {
    const int index = document_->currentIndex();
    if (index < 0 || status < 1 || status > 3) return;
    if (int(document_->status(index)) == status) return;
    document_->apply(std::make_unique<annotation::SetImageStatus>(document_->relativePath(index), annotation::ImageStatus(status)));
}

void ImageListDock::syncSelection() {
    const int index = document_->currentIndex();
    syncing_ = true;
    if (index >= 0) {
        const QModelIndex proxy = status_proxy_->mapFromSource(name_proxy_->mapFromSource(model_->index(index)));
        if (proxy.isValid()) {
            view_->selectionModel()->setCurrentIndex(proxy, QItemSelectionModel::ClearAndSelect);
            view_->scrollTo(proxy);
        } else {
            view_->selectionModel()->clearSelection();
        }
        status_setter_->setCurrentIndex(status_setter_->findData(int(document_->status(index))));
    }
    status_setter_->setEnabled(index >= 0);
    syncing_ = false;
}

QString ImageListDock::countsText() const { return counts_->text(); }

int ImageListDock::visibleRowCount() const { return status_proxy_->rowCount(); }

void ImageListDock::updateCounts() {
    if (!document_->isOpen()) {
        counts_->setText(tr("No folder open"));
        return;
    }
    std::size_t counts[4] = {0, 0, 0, 0};
    for (int i = 0; i < document_->imageCount(); ++i) ++counts[int(document_->status(i))];
    QString text = tr("%1 images: %2 new, %3 in progress, %4 done")
                       .arg(document_->imageCount())
                       .arg(counts[int(annotation::ImageStatus::New)])
                       .arg(counts[int(annotation::ImageStatus::InProgress)])
                       .arg(counts[int(annotation::ImageStatus::Done)]);
    if (status_proxy_->rowCount() != document_->imageCount()) text += tr(" (%1 shown)").arg(status_proxy_->rowCount());
    counts_->setText(text);
}

}  // namespace samlabel::ui
