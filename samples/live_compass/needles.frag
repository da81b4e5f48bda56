// The colours of needles.vert's parts; the dial keeps only a one-pixel-wide ring.
#version 450
#extension GL_GOOGLE_include_directive : require
#include "layout.glsl"

layout(location = 0) in vec2 local;
layout(location = 1) flat in int kind;
layout(location = 0) out vec4 color;

void main() {
  if (kind == 0) {
    const float radius = 0.42 * float(push.cell.x);
    if (abs(length(local) - 1.0) * radius > 0.75) discard;
    color = vec4(0.35, 0.37, 0.42, 1.0);
  } else {
    color = kind == 1 ? vec4(0.92, 0.22, 0.16, 1.0) : kind == 2 ? vec4(0.25, 0.62, 0.98, 1.0) : vec4(0.6, 0.6, 0.62, 1.0);
  }
}
