// Fusion with a warm palette, then the QSS that gives shapes and the accent colour.
#include "ui/theme.h"

#include <QtCore/QFile>
#include <QtGui/QFont>
#include <QtGui/QPalette>
#include <QtWidgets/QApplication>
#include <QtWidgets/QStyleFactory>

namespace storybrush {

void applyTheme(QApplication& app) {
    app.setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
    QPalette palette;
    palette.setColor(QPalette::Window, QColor(0xFB, 0xF7, 0xF1));  // warm off-white
    palette.setColor(QPalette::Base, QColor(0xFF, 0xFD, 0xFA));
    palette.setColor(QPalette::AlternateBase, QColor(0xF4, 0xEE, 0xE6));
    palette.setColor(QPalette::Text, QColor(0x3A, 0x33, 0x2C));
    palette.setColor(QPalette::WindowText, QColor(0x3A, 0x33, 0x2C));
    palette.setColor(QPalette::ButtonText, QColor(0x3A, 0x33, 0x2C));
    palette.setColor(QPalette::Button, QColor(0xF4, 0xEE, 0xE6));
    palette.setColor(QPalette::Highlight, QColor(0xF2, 0x8C, 0x28));  // the one accent: friendly orange
    palette.setColor(QPalette::HighlightedText, Qt::white);
    palette.setColor(QPalette::PlaceholderText, QColor(0x9A, 0x90, 0x86));
    app.setPalette(palette);
    QFont font = app.font();
    if (font.pointSizeF() < 10.5) font.setPointSizeF(10.5);
    app.setFont(font);
    QFile sheet(QStringLiteral(":/storybrush/theme/light.qss"));
    if (sheet.open(QIODevice::ReadOnly)) app.setStyleSheet(QString::fromUtf8(sheet.readAll()));
}

}  // namespace storybrush
