// What live_compass's graphics shaders share: the buffers vkrope wrote, bound as they are
// (no copy), and the frame's push constants (mirrored by draw.hpp's Push).
#ifndef LIVE_COMPASS_LAYOUT_GLSL
#define LIVE_COMPASS_LAYOUT_GLSL

layout(set = 0, binding = 0) readonly buffer Queries { float queries[]; };  // [heads][dim], rotated
layout(set = 0, binding = 1) readonly buffer Keys { float keys[]; };        // [ring][dim], rotated
layout(set = 0, binding = 2) readonly buffer Weights { float weights[]; };  // [history][heads][ring]

layout(push_constant) uniform Push {
  ivec2 size;            // framebuffer, pixels
  ivec2 origin;          // top-left of the region this draw covers
  ivec2 cell;            // pixels per cell
  int cols, rows;        // cells of the region
  int head, heads, ring, dim, history;
  int position;          // this frame's position
  int first_position;    // the first frame's (older history rows are empty)
} push;

vec4 to_clip(vec2 pixel) { return vec4(2.0 * pixel / vec2(push.size) - 1.0, 0.0, 1.0); }

#endif
